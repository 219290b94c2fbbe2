"""Django's stock admin on the TaskRun model: what a Django user gets for free.

The benchmark and the load test time its changelist beside ours. A plain
ModelAdmin on an AdminSite of its own (mounted at /stock-admin/ by bench/urls.py),
with a few columns and a search over the title and the task name: no indexes,
fallbacks or counts of our own.
"""

from django.contrib import admin

from tasks.models import TaskRun

site = admin.AdminSite(name="stock_admin")


@admin.register(TaskRun, site=site)
class StockTaskRunAdmin(admin.ModelAdmin):
    list_display = ("task_title", "task_name", "task_reward", "status", "updated_at")
    search_fields = ("task_title", "task_name")
