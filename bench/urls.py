"""The project's URLs, plus Django's stock admin on the same model at /stock-admin/."""

from django.urls import include, path

from bench import stock_admin

urlpatterns = [
    path("stock-admin/", stock_admin.site.urls),
    path("", include("taskadmin.urls")),
]
