"""The project's URLs plus Django's stock TaskRun admin at /stock-admin/.

For the benchmark and the load test only (bench/settings.py sets ROOT_URLCONF
to this module); production settings keep taskadmin.urls.
"""

from django.urls import path

from bench import stock_admin
from taskadmin.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("stock-admin/", stock_admin.site.urls),
    *project_urlpatterns,
]
