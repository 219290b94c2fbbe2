from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from tasks import exporting, history, jobs, listing, querystrings, services
from tasks.downloads import attachment
from tasks.fields import DurationInput
from tasks.forms import AdminTaskRunForm, TaskRunForm
from tasks.models import EditConflict, Job, MephistoProgress, TaskRun

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


class TaskRunChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        # Django breaks ties by "-pk" whichever way the column sorts; the sort
        # indexes are (column, id), which serve "reward, id" or "-reward, -id"
        # but not "reward, -id": SQLite then sorted every run of each reward.
        ordering = super().get_ordering(request, queryset)
        first = ordering[0] if ordering else None
        if ordering[-1:] == ["-pk"] and isinstance(first, str) and not first.startswith("-"):
            ordering[-1] = "pk"
        return ordering


@admin.register(TaskRun)
class TaskRunAdmin(SimpleHistoryAdmin):
    # The browser form, so the admin parses durations and JSON the same way
    # and the model's validation runs on every save.
    form = AdminTaskRunForm
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
        "mephisto_progress_column",
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
    list_select_related = ("cloned_from", "mephisto_progress")
    # Count the matching runs up to a cap, once: no COUNT(*) of the whole table
    # (get_paginator).
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
        "unlink_mephisto",
    )
    action_form = TaskRunActionForm
    # Adds an "Import task runs" button, leading to the import page.
    change_list_template = "admin/tasks/taskrun/change_list.html"
    history_list_display = ("version", "history_change_reason")
    # As many versions as a page of the run's own History shows.
    history_list_per_page = history.PAGE_SIZE

    @admin.display(description="In Mephisto")
    def mephisto_progress_column(self, run):
        try:
            progress = run.mephisto_progress
        except MephistoProgress.DoesNotExist:
            return "—"
        return render_to_string("tasks/_progress_cell.html", {"progress": progress})

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
        if getattr(request, "showing_history", False) or (obj is not None and obj.was_launched):
            return (*TaskRun.EDITABLE_FIELDS, *BOOKKEEPING)
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        # The warnings to tick: only while saving, or for a run that has some.
        # A launched run's config is read-only, so there is nothing to save.
        fieldsets = super().get_fieldsets(request, obj)
        read_only = getattr(request, "showing_history", False) or (obj and obj.was_launched)
        asks = request.method == "POST" or (obj is not None and services.warnings_for(obj))
        if read_only or not asks:
            return [(name, options) for name, options in fieldsets if name != "Warnings"]
        return fieldsets

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves whatever this page posts, past the write path and
        # the launched-run lock (SIMPLE_HISTORY_REVERT_DISABLED only hides the
        # button): here a version is shown read-only for everyone, and reverting
        # is done from the run's History page, through tasks.services.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        _require_id(object_id)
        _require_id(version_id, maximum=querystrings.INTEGER_MAX)
        request.showing_history = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        _require_id(object_id)
        return super().history_view(request, object_id, extra_context)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # The newest versions only, one page of them, newest first: its paginator
        # counts and its page reads them through the (run, history id) index,
        # the same few rows for a run of 10 versions as for one of 10,000. The
        # run's own History page pages back through all of them.
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        newest = records.order_by("-history_id").values("history_id")[: self.history_list_per_page]
        return records.filter(history_id__in=newest).order_by("-history_id")

    def revert_disabled(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.was_launched:
            return False
        return super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_saveasnew" in request.POST:
            original = self.get_object(request, unquote(object_id)) if object_id else None
            if original is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
            if not self.has_view_or_change_permission(request, original):
                raise PermissionDenied
            request.saving_as_new_from = original
            if original.was_launched:
                # Its change page showed the config read-only, so the post holds
                # none of it: "Save as new" copies the config as it is.
                request.POST = TaskRunForm.post_data_for(original, request.POST)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (EditConflict, services.UnreadWarnings, ValidationError):
            # Someone saved between the form's checks and this save (the
            # transaction rolled back): checking again shows what changed.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_changelist(self, request, **kwargs):
        return TaskRunChangeList

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
        # The changelist asks for its paginator next, with the searched runs;
        # the list page's paginator wants them unsearched, to choose how to
        # search when a word is common (listing.paginator_for).
        request.taskrun_search = (queryset, search_term)
        return listing.search(queryset, search_term), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The list page's paging, one source: a count up to a cap, and a common
        # word found by reading the runs in page order. Filters and ordering are
        # on the runs already: the changelist applies them before the search.
        unsearched, search_term = getattr(request, "taskrun_search", (queryset, ""))
        return listing.paginator_for(unsearched, search_term, per_page)

    def save_model(self, request, obj, form, change):
        acknowledged = form.cleaned_data.get("acknowledge") or ()
        original = getattr(request, "saving_as_new_from", None)
        if original is not None:
            services.run_clone(
                original, by=request.user, via="admin", acknowledged=acknowledged, clone=obj
            )
        else:
            services.run_save(obj, by=request.user, via="admin", acknowledged=acknowledged)

    def delete_model(self, request, obj):
        services.run_delete(obj, by=request.user, via="admin")

    def get_deleted_objects(self, objs, request):
        # A bulk delete leaves launched runs out (delete_queryset says so)
        # instead of refusing the whole action for one of them.
        return super().get_deleted_objects([run for run in objs if not run.was_launched], request)

    def delete_queryset(self, request, queryset):
        kept = 0
        for run in queryset:
            try:
                services.run_delete(run, by=request.user, via="admin")
            except ValidationError:
                kept += 1
        if kept:
            self.message_user(
                request,
                f"Kept {kept} launched run{'s' if kept != 1 else ''}: "
                "a launched run cannot be deleted.",
                messages.WARNING,
            )

    @admin.action(description="Clone selected task runs", permissions=["add"])
    def clone_selected(self, request, queryset):
        originals = list(queryset)
        acknowledged = _acknowledged_per_run(request)
        try:
            clones = services.run_clone_many(
                originals, by=request.user, via="admin", acknowledged=acknowledged
            )
        except services.UnreadWarnings as error:
            return self._confirm_warnings(
                request, "clone_selected", "Clone", originals, error.warnings_by_run
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        self.message_user(
            request,
            f"Cloned {len(clones)} task run{'s' if len(clones) != 1 else ''}.",
            messages.SUCCESS,
        )
        return None

    def _confirm_warnings(self, request, action, verb, runs, warnings_by_run):
        """The page that asks for each run's warnings to be read before `action` goes on.

        It posts the action again with the same selection; each run's ticked
        codes come back as acknowledge-<pk>.
        """
        by_run = {}
        for run, finding in warnings_by_run:
            by_run.setdefault(run.pk, (run, []))[1].append(finding)
        return TemplateResponse(
            request,
            "admin/tasks/taskrun/confirm_warnings.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{verb} {len(runs)} task run{'s' if len(runs) != 1 else ''}?",
                "verb": verb,
                "action": action,
                "opts": self.opts,
                "runs": runs,
                "warned": list(by_run.values()),
                "quiet": [run for run in runs if run.pk not in by_run],
                "target": request.POST.get("target", ""),
            },
        )

    def _export(self, request, queryset, fmt):
        target = request.POST.get("target") or "latest"
        if target not in exporting.TARGETS:
            target = "latest"
        # Many runs are written by a background job; its page offers the file.
        job = jobs.enqueue_export(request.user, queryset, fmt, target)
        if job is not None:
            return HttpResponseRedirect(job.get_absolute_url())
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
        runs = list(queryset)
        acknowledged = _acknowledged_per_run(request)
        unread = []
        for run in runs:
            # Warnings read when the run was saved count as read (its config
            # has not changed since); only new ones are asked about.
            read = {*acknowledged.get(run.pk, ()), *run.acknowledged_warnings}
            unread += [(run, w) for w in services.warnings_for(run) if w.code not in read]
        drafts = [run for run in runs if run.status == TaskRun.Status.DRAFT]
        if unread and drafts:
            return self._confirm_warnings(request, "mark_launched", "Launch", runs, unread)
        return self._change_status(
            request,
            runs,
            lambda run: services.run_launch(
                run, by=request.user, acknowledged=acknowledged.get(run.pk, ())
            ),
        )

    @admin.action(description="Unlink from Mephisto (the match was wrong)", permissions=["change"])
    def unlink_mephisto(self, request, queryset):
        self._change_status(
            request, queryset, lambda run: services.run_unlink(run, by=request.user, via="admin")
        )

    @admin.action(description="Archive selected task runs", permissions=["change"])
    def archive_selected(self, request, queryset):
        self._change_status(
            request, queryset, lambda run: services.run_archive(run, by=request.user)
        )

    def _change_status(self, request, queryset, change):
        done, refused = 0, []
        for run in queryset:
            try:
                change(run)
                done += 1
            except (ValidationError, EditConflict, services.UnreadWarnings) as error:
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


def _require_id(value, *, maximum=querystrings.BIGINT_MAX):
    """404 unless the URL part `value` is an id: simple-history's history pages
    filter by it as it comes, and "abc" or a NUL was a server error there."""
    if not querystrings.read_ids([unquote(value)], maximum=maximum):
        raise Http404("No such task run or version.")


def _acknowledged_per_run(request):
    """{pk: [codes]} from a confirmation page's acknowledge-<pk> tick boxes."""
    return {
        int(key.removeprefix("acknowledge-")): request.POST.getlist(key)
        for key in request.POST
        if key.startswith("acknowledge-")
        and key.removeprefix("acknowledge-").isascii()
        and key.removeprefix("acknowledge-").isdigit()
    }


# API tokens (tasks/api/admin.py): registered here, where the admin looks.
from tasks.api import admin as api_admin  # noqa: E402, F401


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Every user's background work, for administrators: what is queued, running
    or failed, and why. Read only: jobs are made by the pages that start them and
    removed by `manage.py prune_jobs` (which also deletes their result files)."""

    list_display = ("title", "kind", "status", "owner", "created_at", "finished_at")
    list_filter = ("status", "kind")
    list_select_related = ("owner",)
    search_fields = ("title", "owner__username")
    fields = (
        "title",
        "kind",
        "status",
        "owner",
        "created_at",
        "started_at",
        "finished_at",
        "error",
        "summary",
        "params",
        "result_name",
        "result_type",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
