from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from taskadmin.auth import AdminLoginForm, LoginForm
from taskadmin.views import healthz
from tasks.api.pages import token_revoke, tokens_page

admin.site.site_header = "Taskadmin"
admin.site.site_title = "Taskadmin admin"
admin.site.index_title = "Task-run configurations"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Log in, log out and change one's password. No password reset by email:
    # the site sends no mail; an administrator sets a new password in the admin.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("api/", include("tasks.api.urls")),
    path("accounts/tokens/", tokens_page, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_revoke, name="api-token-revoke"),
    path("", include("tasks.urls")),
]

handler404 = "taskadmin.views.not_found"
