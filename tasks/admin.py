from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from tasks import exporting, listing, querystrings
from tasks.downloads import attachment
from tasks.fields import DurationInput
from tasks.forms import TaskRunForm
from tasks.models import EditConflict, TaskRun
from tasks.pagination import CappedPaginator

BOOKKEEPING = (
    "status",
    "launched_at",
    "mephisto_task_run_id",
    "mephisto_created_at",
    "cloned_from_link",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


class TaskRunActionForm(ActionForm):
    """The action bar's extra choice: which Mephisto release an export is for."""

    target = forms.ChoiceField(
        label="For", choices=list(exporting.TARGET_LABELS.items()), required=False
    )


@admin.register(TaskRun)
class TaskRunAdmin(SimpleHistoryAdmin):
    # The browser form, so the admin parses durations and JSON the same way
    # and the model's validation runs on every save.
    form = TaskRunForm
    fieldsets = (
        *((legend, {"fields": names}) for legend, names in TaskRun.FORM_GROUPS),
        (
            "Warnings",
            {
                "fields": ("acknowledge",),
                "description": "When a save has warnings, they are listed here: tick each "
                "one you have read to save anyway.",
            },
        ),
        # The hidden version rides along so that a stale form is refused.
        ("Bookkeeping", {"fields": (*BOOKKEEPING, "version")}),
    )
    readonly_fields = BOOKKEEPING
    list_display = (
        "task_title",
        "task_name",
        "reward",
        "provider_badge",
        "status",
        "cloned_from_link",
        "created_at",
    )
    list_display_links = ("task_title",)
    # Only the columns with an index (TaskRun.Meta.indexes) sort; "reward"
    # sorts by task_reward.
    sortable_by = ("task_title", "task_name", "reward", "created_at")
    # Filters whose choices are fixed: a filter listing every task name, or the
    # date hierarchy, would read the whole table on each page load.
    list_filter = ("status", "provider", "force_rebuild", "resume_incomplete_run", "created_at")
    search_fields = ("task_title", "task_name", "task_tags")
    list_select_related = ("cloned_from",)
    # Count the matching runs up to a cap, once: no COUNT(*) of the whole table.
    paginator = CappedPaginator
    show_full_result_count = False
    # "Show counts" would count every filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    save_as = True
    save_on_top = True
    actions = (
        "clone_selected",
        "export_json",
        "export_yaml",
        "export_overrides",
        "mark_launched",
        "archive_selected",
    )
    action_form = TaskRunActionForm
    # Adds an "Import task runs" button, leading to the import page.
    change_list_template = "admin/tasks/taskrun/change_list.html"
    history_list_display = ("version", "history_change_reason")

    @admin.display(description="Reward", ordering="task_reward")
    def reward(self, run):
        return run.reward_display

    @admin.display(description="Provider", ordering="provider")
    def provider_badge(self, run):
        if run.is_live:
            return format_html("<strong>{} · LIVE, PAID</strong>", run.provider)
        return run.provider

    @admin.display(description="Cloned from", ordering="cloned_from")
    def cloned_from_link(self, run):
        if run.cloned_from_id is None:
            return "—"
        url = reverse("admin:tasks_taskrun_change", args=[run.cloned_from_id])
        return format_html('<a href="{}">#{} {}</a>', url, run.cloned_from_id, run.cloned_from)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.was_launched:
            return (*TaskRun.EDITABLE_FIELDS, *BOOKKEEPING)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.was_launched:
            return False
        return super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Someone saved between the form's version check and this save
            # (the transaction rolled back): going again shows the conflict.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # A filter's value goes into the query as it is, and PostgreSQL refuses
        # NUL in any text it is given: back to the plain list, saying why.
        if querystrings.unstorable(request.GET):
            self.message_user(request, querystrings.PARAMETERS_UNSTORABLE, messages.ERROR)
            return redirect(request.path)
        return super().changelist_view(request, extra_context)

    def response_action(self, request, queryset, *args, **kwargs):
        # Django filters pk__in with the ticked ids as posted: "²" or "1.0" was
        # a server error. Only ids stay; none left means "select some first".
        post = request.POST.copy()
        ids = querystrings.read_ids(post.getlist(helpers.ACTION_CHECKBOX_NAME))
        post.setlist(helpers.ACTION_CHECKBOX_NAME, [str(pk) for pk in ids])
        request.POST = post
        return super().response_action(request, queryset, *args, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The admin gives integer columns a number input, in which a browser
        # cannot type "1d 12h": durations keep the form's text input and hint.
        if db_field.name in TaskRun.DURATION_FIELDS:
            kwargs["widget"] = DurationInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # The list page's search, which the text indexes serve (the default
        # would scan with LIKE); it never duplicates rows. A search the
        # database cannot run (a NUL) finds nothing, and the page says why.
        problem = querystrings.search_problem(search_term)
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return queryset.none(), False
        return listing.search(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        via = "admin"
        # "Save as new" posts the edited form as an add; Django does not say
        # where it came from, but the change URL still names the original.
        if "_saveasnew" in request.POST:
            obj.cloned_from_id = request.resolver_match.kwargs.get("object_id")
            via = f"admin: save as new from #{obj.cloned_from_id}"
        obj.record(by=request.user, via=via)

    def get_deleted_objects(self, objs, request):
        # A bulk delete leaves launched runs out (delete_queryset says so)
        # instead of refusing the whole action for one of them.
        return super().get_deleted_objects([run for run in objs if not run.was_launched], request)

    def delete_queryset(self, request, queryset):
        launched = [run for run in queryset if run.was_launched]
        if launched:
            self.message_user(
                request,
                f"Kept {len(launched)} launched run{'s' if len(launched) != 1 else ''}: "
                "a launched run cannot be deleted.",
                messages.WARNING,
            )
        super().delete_queryset(request, queryset.exclude(pk__in=[run.pk for run in launched]))

    @admin.action(description="Clone selected task runs", permissions=["add"])
    def clone_selected(self, request, queryset):
        with transaction.atomic():
            clones = [run.clone(by=request.user, via="admin") for run in queryset]
        self.message_user(
            request,
            f"Cloned {len(clones)} task run{'s' if len(clones) != 1 else ''}.",
            messages.SUCCESS,
        )

    def _export(self, request, queryset, fmt):
        target = request.POST.get("target") or "latest"
        if target not in exporting.TARGETS:
            target = "latest"
        try:
            return attachment(*exporting.stream_runs(queryset, fmt, target))
        except exporting.ExportError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None

    @admin.action(description="Export selected as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        return self._export(request, queryset, "json")

    @admin.action(description="Mark selected as launched", permissions=["change"])
    def mark_launched(self, request, queryset):
        self._change_status(request, queryset, lambda run: run.launch(by=request.user))

    @admin.action(description="Archive selected task runs", permissions=["change"])
    def archive_selected(self, request, queryset):
        self._change_status(request, queryset, lambda run: run.archive(by=request.user))

    def _change_status(self, request, queryset, change):
        done, refused = 0, []
        for run in queryset:
            try:
                change(run)
                done += 1
            except (ValidationError, EditConflict) as error:
                refused.append(f"#{run.pk}: {getattr(error, 'messages', [str(error)])[0]}")
        if done:
            self.message_user(
                request, f"Changed the status of {done} run{'s' if done != 1 else ''}."
            )
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Export selected as Hydra YAML (zip)", permissions=["view"])
    def export_yaml(self, request, queryset):
        return self._export(request, queryset, "yaml")

    @admin.action(description="Export selected as Hydra overrides (zip)", permissions=["view"])
    def export_overrides(self, request, queryset):
        return self._export(request, queryset, "overrides")
