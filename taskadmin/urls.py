from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Taskadmin"
admin.site.site_title = "Taskadmin admin"
admin.site.index_title = "Task-run configurations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("tasks.urls")),
]
