from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from tasks import exporting
from tasks.downloads import attachment
from tasks.forms import TaskRunForm
from tasks.models import TaskRun


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    # The browser form, so the admin parses durations and JSON the same way
    # and the model's validation runs on every save.
    form = TaskRunForm
    fieldsets = (
        *((legend, {"fields": names}) for legend, names in TaskRun.CONFIG_GROUPS),
        (
            "Bookkeeping",
            {
                "fields": (
                    "cloned_from_link",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "updated_by",
                ),
            },
        ),
    )
    readonly_fields = ("cloned_from_link", "created_at", "created_by", "updated_at", "updated_by")
    list_display = (
        "task_title",
        "task_name",
        "task_reward",
        "task_tags",
        "cloned_from_link",
        "created_at",
    )
    list_display_links = ("task_title",)
    list_filter = ("force_rebuild", "resume_incomplete_run", "task_name", "created_at")
    search_fields = ("task_title", "task_name", "task_tags")
    list_select_related = ("cloned_from", "created_by", "updated_by")
    date_hierarchy = "created_at"
    save_as = True
    save_on_top = True
    actions = ("clone_selected", "export_json")

    @admin.display(description="Cloned from", ordering="cloned_from")
    def cloned_from_link(self, run):
        if run.cloned_from_id is None:
            return "—"
        url = reverse("admin:tasks_taskrun_change", args=[run.cloned_from_id])
        return format_html('<a href="{}">#{} {}</a>', url, run.cloned_from_id, run.cloned_from)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        if not change:
            obj.created_by = request.user
        # "Save as new" posts the edited form as an add; Django does not say
        # where it came from, but the change URL still names the original.
        if "_saveasnew" in request.POST:
            obj.cloned_from_id = request.resolver_match.kwargs.get("object_id")
        super().save_model(request, obj, form, change)

    @admin.action(description="Clone selected task runs", permissions=["add"])
    def clone_selected(self, request, queryset):
        with transaction.atomic():
            clones = [run.clone(by=request.user) for run in queryset]
        self.message_user(
            request,
            f"Cloned {len(clones)} task run{'s' if len(clones) != 1 else ''}.",
            messages.SUCCESS,
        )

    @admin.action(description="Export selected as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        return attachment(*exporting.export_runs(queryset))
