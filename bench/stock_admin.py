"""Django's stock admin changelist for TaskRun: the peer our pages are measured against.

What a Django user gets for free on the same model and the same rows: a plain
ModelAdmin (full COUNT(*) for the paginator, LIKE search over two columns) on
an AdminSite of its own, so the project's admin is untouched. bench/urls.py
mounts it at /stock-admin/ for the benchmark and the load test; production's
URLconf (taskadmin/urls.py) never includes it.
"""

from django.contrib import admin

from tasks.models import TaskRun


class StockTaskRunAdmin(admin.ModelAdmin):
    list_display = ("task_title", "task_name", "task_reward", "status", "created_at")
    search_fields = ("task_name", "task_title")


site = admin.AdminSite(name="stock-admin")
site.register(TaskRun, StockTaskRunAdmin)
