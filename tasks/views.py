from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from tasks import (
    charts,
    costs,
    display,
    exporting,
    history,
    import_report,
    importing,
    jobs,
    listing,
    mephisto_sync,
    presets,
    preview,
    querystrings,
    schema,
    services,
    stash,
)
from tasks.downloads import attachment, file_attachment
from tasks.forms import ExportForm, ImportForm, MephistoSyncForm, TaskRunForm
from tasks.models import EditConflict, ImportUpload, Job, TaskRun
from tasks.pagination import CappedPaginator

# Versions on a run's page, and on each page of its history.
RECENT_VERSIONS = 5
HISTORY_PAGE_SIZE = history.PAGE_SIZE


def _get_run(pk):
    return get_object_or_404(
        TaskRun.objects.select_related(
            "cloned_from", "created_by", "updated_by", "mephisto_progress"
        ),
        pk=pk,
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_list(request):
    query = request.GET.get("q", "").strip()
    sort_key = listing.parse_sort(request.GET.get("sort"))
    status = listing.parse_status(request.GET.get("status"))
    problem = querystrings.search_problem(query)
    if problem:
        # A search the database cannot run finds nothing; the page says why.
        page = CappedPaginator(TaskRun.objects.none(), settings.TASKADMIN_PAGE_SIZE).get_page(1)
    else:
        page = listing.page_of_runs(
            query, sort_key, status, request.GET.get("page"), settings.TASKADMIN_PAGE_SIZE
        )
    return render(
        request,
        "tasks/run_list.html",
        {
            "page": page,
            "query": query,
            "search_problem": problem,
            "sort": sort_key,
            "status": status,
            "statuses": listing.STATUS_FILTERS,
            "export_form": ExportForm(),
        },
        status=400 if problem else 200,
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_detail(request, pk):
    run = _get_run(pk)
    return render(
        request,
        "tasks/run_detail.html",
        {
            "run": run,
            "groups": display.config_groups(run),
            "recent_versions": history.versions(run, RECENT_VERSIONS)[0],
            "estimate": costs.estimate(run),
            "progress": mephisto_sync.progress_of(run),
            "chart": charts.progress_chart(mephisto_sync.progress_of(run)),
            "config_json": exporting.dumps(exporting.run_to_config(run)),
            "overrides": _overrides(run),
            "export_form": ExportForm(),
            "api_url": request.build_absolute_uri(reverse("api:run-detail", args=[run.pk])),
        },
    )


def _overrides(run):
    try:
        return exporting.to_overrides(run)
    except exporting.ExportError as error:
        return f"# {error}"


def _save_form(request, form, save):
    """Call `save` (a tasks.services function, given the acknowledged codes) for a
    valid form; what the service refuses lands on the form. Returns the run or None.

    The form has checked everything already; the service checks again inside its
    save, so a rule that another save broke meanwhile is still caught.
    """
    try:
        return save(acknowledged=form.cleaned_data.get("acknowledge") or ())
    except services.UnreadWarnings as error:
        form.ask_about(error.warnings)
    except ValidationError as error:
        form.add_service_error(error)
    return None


def _render_form(request, form, context):
    # 409 tells scripts and tests what the page tells people: not saved, conflict.
    status = 409 if form.conflict else 200
    context = {"form": form, "presets": presets.PRESETS, **context}
    return render(request, "tasks/run_form.html", context, status=status)


def _with_preset(request, run):
    """Apply ?preset=... to an unsaved run, for a form that starts from it."""
    presets.apply(run, request.GET.get("preset", ""))
    return run


@login_required
@permission_required("tasks.add_taskrun", raise_exception=True)
def run_create(request):
    form = TaskRunForm(request.POST or None, instance=_with_preset(request, TaskRun()))
    if request.method == "POST" and form.is_valid():
        run = _save_form(
            request,
            form,
            lambda **kw: services.run_save(form.instance, by=request.user, via="browser", **kw),
        )
        if run is not None:
            messages.success(request, f"Created “{run}”.")
            return redirect(run)
    return _render_form(request, form, {"mode": "create"})


@login_required
@permission_required("tasks.change_taskrun", raise_exception=True)
def run_edit(request, pk):
    run = _get_run(pk)
    if run.was_launched:
        messages.warning(
            request, "This run was launched, so its config is read-only: clone it to change it."
        )
        return redirect(run)
    form = TaskRunForm(request.POST or None, instance=_with_preset(request, run))
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_form(
                request,
                form,
                lambda **kw: services.run_save(form.instance, by=request.user, via="browser", **kw),
            )
        except EditConflict:
            # Someone saved between our check and our save: checking again
            # against the newer version turns this into the conflict page.
            form = TaskRunForm(request.POST, instance=_get_run(pk))
            form.is_valid()
        else:
            if saved is not None:
                messages.success(request, f"Saved “{saved}”.")
                return redirect(saved)
    return _render_form(request, form, {"mode": "edit", "run": run})


@login_required
@permission_required(["tasks.view_taskrun", "tasks.add_taskrun"], raise_exception=True)
def run_clone(request, pk):
    original = _get_run(pk)
    form = TaskRunForm(
        request.POST or None,
        instance=_with_preset(request, original.clone(by=request.user)),
    )
    if request.method == "POST" and form.is_valid():
        run = _save_form(
            request,
            form,
            lambda **kw: services.run_clone(
                original, by=request.user, via="browser", clone=form.instance, **kw
            ),
        )
        if run is not None:
            messages.success(request, f"Created “{run}” as a clone of #{original.pk}.")
            return redirect(run)
    return _render_form(request, form, {"mode": "clone", "original": original})


@login_required
@require_POST
def run_preview(request, pk=None):
    """What a run form's current values export as, for the form's live preview.

    Takes the form's fields as posted (CSRF token included) and answers JSON:
    `config` is the text a download of the saved run would hold (None while
    something stops the save), `errors` lists what stops it and `warnings` what
    will need a tick, both in form order. The rest is what the form shows
    beside its inputs, derived here so the page's script holds no rule (see
    tasks.preview.derived_values): `durations` in words, `tags` as they will
    be saved and what is dropped, the `reward` formatted, and the cost
    estimate's HTML. With `pk` it previews an edit of that run, so the rules
    compare it with the other runs; nothing is saved either way.
    """
    # The permission of the form being previewed: editing, or creating (new, clone).
    if not request.user.has_perm("tasks.change_taskrun" if pk else "tasks.add_taskrun"):
        raise PermissionDenied
    form = TaskRunForm(request.POST, instance=_get_run(pk) if pk else TaskRun())
    form.is_valid()
    # Unread warnings hold a save back but do not change what is exported.
    errors = {name: texts for name, texts in form.errors.items() if name != "acknowledge"}
    return JsonResponse(
        {
            "config": None if errors else exporting.dumps(exporting.run_to_config(form.instance)),
            "errors": [
                {
                    "field": name,
                    "label": form[name].label if name in form.fields else "",
                    "messages": list(texts),
                }
                for name, texts in errors.items()
            ],
            "warnings": [
                {
                    "code": warning.code,
                    "field": warning.field,
                    "label": form[warning.field].label,
                    "message": warning.message,
                }
                for warning in form.warnings
            ],
            **preview.derived_values(form),
        }
    )


@login_required
@permission_required("tasks.delete_taskrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def run_delete(request, pk):
    run = _get_run(pk)
    if request.method == "POST":
        try:
            services.run_delete(run, by=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(run)
        messages.success(request, f"Deleted “{run}”. Its history is kept.")
        return redirect("tasks:run-list")
    return render(request, "tasks/run_confirm_delete.html", {"run": run})


@login_required
@permission_required("tasks.change_taskrun", raise_exception=True)
@require_POST
def run_status(request, pk):
    """Mark a run launched, archive it, or bring it back from the archive.

    Launching asks about the run's warnings that were not read when it was
    saved (a task name another run has taken since, say) on a page of its own.
    """
    run = _get_run(pk)
    action = request.POST.get("action")
    acknowledged = request.POST.getlist("acknowledge")
    mephisto_task_run_id = request.POST.get("mephisto_task_run_id", "").strip()
    try:
        if action == "launch":
            services.run_launch(
                run,
                by=request.user,
                mephisto_task_run_id=mephisto_task_run_id,
                acknowledged=acknowledged,
            )
        elif action == "archive":
            services.run_archive(run, by=request.user)
        elif action == "unarchive":
            services.run_unarchive(run, by=request.user)
        else:
            return HttpResponseBadRequest("Unknown status action.")
    except services.UnreadWarnings as error:
        return _confirm_warnings(
            request,
            run,
            error.warnings,
            title="Mark as launched?",
            button="Mark as launched",
            action_url=reverse("tasks:run-status", args=[run.pk]),
            hidden={"action": action, "mephisto_task_run_id": mephisto_task_run_id},
        )
    except (ValidationError, EditConflict) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, f"“{run}” is now {run.get_status_display().lower()}.")
    return redirect(run)


@login_required
@permission_required("tasks.change_taskrun", raise_exception=True)
@require_POST
def run_unlink(request, pk):
    """Undo the link between a run and a Mephisto run (a wrong match): see services.run_unlink."""
    run = _get_run(pk)
    task_run_id = run.mephisto_task_run_id
    try:
        services.run_unlink(run, by=request.user)
    except (ValidationError, EditConflict) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(
            request,
            f"“{run}” is no longer linked to Mephisto run {task_run_id}; no sync links them again.",
        )
    return redirect(run)


@login_required
@permission_required("tasks.add_taskrun", raise_exception=True)
@permission_required("tasks.change_taskrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def mephisto_sync_page(request):
    """Sync from an uploaded database.db, or from the server's MEPHISTO_DATABASE, as a
    background job (tasks.background.mephisto_sync_job): answers with its page.

    What can be refused without reading the database (too big, not SQLite, a
    missing server file) is refused here at once; the rest fails the job.
    """
    form = MephistoSyncForm()
    if request.method == "POST":
        try:
            if request.POST.get("source") == "server":
                if not settings.MEPHISTO_DATABASE:
                    return HttpResponseBadRequest("MEPHISTO_DATABASE is not set.")
                mephisto_sync.check_path(settings.MEPHISTO_DATABASE)
                job = jobs.enqueue(
                    Job.Kind.MEPHISTO_SYNC,
                    owner=request.user,
                    title=f"Sync of the server's {settings.MEPHISTO_DATABASE}",
                    params={"source": "server"},
                )
            else:
                form = MephistoSyncForm(request.POST, request.FILES)
                if not form.is_valid():
                    return _render_sync(request, form, status=400)
                upload = form.cleaned_data["database"]
                data = upload.read()
                mephisto_sync.check_upload(upload.name, data)
                waiting = stash.put(
                    request.user, upload.name, data, purpose=ImportUpload.Purpose.SYNC
                )
                job = jobs.enqueue(
                    Job.Kind.MEPHISTO_SYNC,
                    owner=request.user,
                    title=f"Sync of {waiting.name}",
                    params={"source": "upload", "token": waiting.token},
                )
        except (mephisto_sync.SyncFailure, stash.StashFull) as error:
            # Shown above both forms: the server's button has no form to carry it.
            return _render_sync(request, form, status=400, error=str(error))
        return redirect(job)
    return _render_sync(request, form)


def _render_sync(request, form, status=200, error=None):
    return render(
        request,
        "tasks/mephisto_sync.html",
        {
            "form": form,
            "error": error,
            "server_database": settings.MEPHISTO_DATABASE,
            "max_bytes": settings.TASKADMIN_SYNC_MAX_BYTES,
        },
        status=status,
    )


def _message_of(error):
    """One line for a message banner: a field's errors are named by its label."""
    if isinstance(error, EditConflict):
        return "Someone else saved this run just now; look again, then try once more."
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{history.label_of(name)}: {message}" if name != NON_FIELD_ERRORS else message
        for name, errors in error.error_dict.items()
        for message in ValidationError(errors).messages
    )


def _confirm_warnings(request, run, warnings, *, title, button, action_url, hidden):
    """The page that asks for warnings to be read before a change goes through.

    It posts the same change again, with the ticked codes as `acknowledge`.
    """
    return render(
        request,
        "tasks/run_confirm_warnings.html",
        {
            "run": run,
            "warnings": warnings,
            "title": title,
            "button": button,
            "action_url": action_url,
            "hidden": hidden,
            "ticked": set(request.POST.getlist("acknowledge")),
        },
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_history(request, pk):
    """The run's versions, newest first, a page at a time: ?before=<history id> pages back."""
    run = _get_run(pk)
    before = querystrings.read_ids(
        request.GET.getlist("before")[:1], maximum=querystrings.INTEGER_MAX
    )
    before = before[0] if before else None
    versions, older = history.versions(run, HISTORY_PAGE_SIZE, before=before)
    return render(
        request,
        "tasks/run_history.html",
        {"run": run, "versions": versions, "older": older, "newest": before is None},
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_history_diff(request, pk):
    """Field by field, what changed from version record `a` to `b` (history ids)."""
    run = _get_run(pk)
    records = {
        record.history_id: record
        for record in run.history.filter(
            history_id__in=querystrings.read_ids(
                request.GET.getlist("v"), maximum=querystrings.INTEGER_MAX
            )[:2]
        ).select_related("history_user")
    }
    if len(records) != 2:
        messages.warning(request, "Pick two versions to compare.")
        return redirect("tasks:run-history", pk=run.pk)
    before, after = sorted(records.values(), key=lambda record: record.history_id)
    changes = history.compare(history.config_of(before), history.config_of(after))
    return render(
        request,
        "tasks/run_history_diff.html",
        {"run": run, "before": before, "after": after, "changes": changes},
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_history_field(request, pk, history_id, name):
    """One version's text of one field, as a file: for texts too long to diff on a page."""
    if name not in history.TEXT_FIELDS:
        raise Http404("No such text field.")
    run = _get_run(pk)
    record = get_object_or_404(run.history, history_id=history_id)
    return attachment(
        f"run-{run.pk}-version-{record.version}-{name}.txt", "text/plain", getattr(record, name)
    )


@login_required
@permission_required("tasks.change_taskrun", raise_exception=True)
@require_POST
def run_revert(request, pk, history_id):
    run = _get_run(pk)
    record = get_object_or_404(run.history, history_id=history_id)
    try:
        services.run_revert(
            run, record, by=request.user, acknowledged=request.POST.getlist("acknowledge")
        )
    except services.UnreadWarnings as error:
        return _confirm_warnings(
            request,
            run,
            error.warnings,
            title=f"Revert to version {record.version}?",
            button=f"Revert to version {record.version}",
            action_url=reverse("tasks:run-revert", args=[run.pk, record.history_id]),
            hidden={},
        )
    except (ValidationError, EditConflict) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(
            request, f"Reverted to version {record.version}, saved as version {run.version}."
        )
    return redirect(run)


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def runs_compare(request):
    """Two runs side by side, the config fields that differ marked."""
    pks = querystrings.read_ids(request.GET.getlist("pk"))
    runs = list(TaskRun.objects.filter(pk__in=pks[:2]))
    if len(set(pks)) != 2 or len(runs) != 2:
        messages.warning(request, "Tick exactly two runs to compare.")
        return redirect(_list_url(request))
    runs.sort(key=lambda run: pks.index(run.pk))
    left, right = (history.config_of(run) for run in runs)
    differing = set(history.changed_fields(left, right))
    rows = [
        (
            history.label_of(name),
            display.format_value(name, left[name], left["provider"]),
            display.format_value(name, right[name], right["provider"]),
            name in differing,
        )
        for name in TaskRun.EDITABLE_FIELDS
    ]
    return render(
        request,
        "tasks/runs_compare.html",
        {"runs": runs, "rows": rows, "differing": len(differing)},
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_export(request, pk):
    run = _get_run(pk)
    fmt, target = ExportForm(request.GET).choices()
    try:
        return attachment(*exporting.export_run(run, fmt, target))
    except exporting.ExportError as error:
        messages.error(request, str(error))
        return redirect(run)


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_export_json(request, pk):
    """The run as JSON for the latest Mephisto, at a URL that never changes."""
    run = _get_run(pk)
    try:
        return attachment(*exporting.export_run(run, "json", "latest"))
    except exporting.ExportError as error:
        messages.error(request, str(error))
        return redirect(run)


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
@require_GET  # not HEAD: an export of many runs queues a job
def runs_export(request, fmt=None):
    """The runs ticked on the list page, or all runs matching its search."""
    query = request.GET.get("q", "").strip()
    if querystrings.search_problem(query):
        return redirect(_list_url(request))  # which says what is wrong with the search
    runs = listing.runs_for_list(
        query, request.GET.get("sort"), listing.parse_status(request.GET.get("status"))
    )
    if request.GET.get("scope") == "selected":
        selected = querystrings.read_ids(request.GET.getlist("pk"))
        if not selected:
            messages.warning(request, "Tick at least one run to export.")
            return redirect(_list_url(request))
        runs = runs.filter(pk__in=selected)
    chosen, target = ExportForm(request.GET).choices()
    if fmt not in (None, *exporting.FORMATS):
        raise Http404("No such export format.")
    job = jobs.enqueue_export(request.user, runs, fmt or chosen, target)
    if job is not None:
        return redirect(job)
    try:
        return attachment(*exporting.stream_runs(runs, fmt or chosen, target))
    except exporting.ExportError as error:
        messages.error(request, str(error))
        return redirect(_list_url(request))


@login_required
def config_schema(request):
    return JsonResponse(schema.config_schema(), json_dumps_params={"indent": 2})


# -- Import: upload and preview, then apply the same file ------------------------------
# The preview page cannot post the file again, so the upload waits in the
# database (tasks.stash) under a random token that only its owner may use.


def _get_upload(request, token):
    """The user's waiting upload (404 for someone else's); raises as stash.get does."""
    try:
        return stash.get(request.user, token)
    except ImportUpload.DoesNotExist:
        raise Http404("No such upload.") from None


def _already_applied(request, error):
    messages.info(
        request,
        format_html(
            '{} <a href="{}">See the task runs.</a>', str(error), reverse("tasks:run-list")
        ),
    )
    return redirect("tasks:run-import")


@login_required
@permission_required(["tasks.view_taskrun", "tasks.add_taskrun"], raise_exception=True)
def run_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            name, data = form.name_and_data()
            batch = jobs.parse_small(name, data)
            waiting = stash.put(request.user, name, data)
        except (importing.ImportFailure, stash.StashFull) as error:
            form.add_error("file", str(error))
        else:
            if batch is None:
                return redirect(jobs.enqueue_preview(request.user, waiting))
            return _render_preview(request, importing.preview(batch), waiting)
    elif request.method == "GET" and "token" in request.GET:
        # An earlier upload, opened again from the list of waiting ones.
        try:
            waiting = _get_upload(request, request.GET["token"])
            batch = jobs.parse_small(waiting.name, bytes(waiting.data))
        except stash.AlreadyApplied as error:
            return _already_applied(request, error)
        except (stash.UploadGone, importing.ImportFailure) as error:
            messages.error(request, str(error))
            return redirect("tasks:run-import")
        if batch is None:
            return redirect(jobs.enqueue_preview(request.user, waiting))
        return _render_preview(request, importing.preview(batch), waiting)
    return render(
        request,
        "tasks/run_import.html",
        {
            "form": form,
            "waiting": stash.pending(request.user),
            "expiry_hours": settings.TASKADMIN_IMPORT_EXPIRY_HOURS,
        },
    )


def _render_preview(request, batch, upload, ticked=()):
    return render(
        request,
        "tasks/run_import_preview.html",
        {
            "batch": batch,
            "token": upload.token,
            "preview": import_report.summary(batch, token=upload.token, rows=None),
            "ticked": set(ticked),
        },
    )


@login_required
@permission_required(["tasks.view_taskrun", "tasks.add_taskrun"], raise_exception=True)
@require_POST
def run_import_apply(request):
    only_valid = request.POST.get("mode") == "valid"
    acknowledged = request.POST.getlist("acknowledge")
    try:
        upload = _get_upload(request, request.POST.get("token", ""))
        name = upload.name
        batch = jobs.parse_small(name, bytes(upload.data))
        if batch is None:
            return _apply_in_background(request, upload, only_valid, acknowledged)
        result = stash.apply(
            upload, batch, only_valid=only_valid, by=request.user, acknowledged=acknowledged
        )
    except stash.AlreadyApplied as error:
        return _already_applied(request, error)
    except stash.UploadGone as error:
        messages.error(request, str(error))
        return redirect("tasks:run-import")
    except importing.ImportFailure as error:
        stash.discard(upload)
        messages.error(request, str(error))
        return redirect("tasks:run-import")
    except importing.ImportRefused as error:
        messages.error(request, str(error))
        return _render_preview(request, error.batch, upload, request.POST.getlist("acknowledge"))
    messages.success(
        request,
        importing.imported_message(name, len(result.created), result.identical, result.invalid),
    )
    return redirect("tasks:run-list")


def _apply_in_background(request, upload, only_valid, acknowledged):
    """Queue the import of a large upload, after checking what its preview found
    (invalid runs, unread warnings) so a refusal comes at once, not after a wait."""
    preview = jobs.preview_of(request.user, upload.token)
    if preview is not None and preview.status == Job.Status.SUCCEEDED:
        refusal = import_report.refusal(
            preview.summary, only_valid=only_valid, acknowledged=acknowledged
        )
        if refusal:
            messages.error(request, refusal)
            return _render_job(request, preview, ticked=acknowledged)
    job = jobs.enqueue_import(
        request.user, upload, only_valid=only_valid, acknowledged=acknowledged, preview=preview
    )
    return redirect(job)


@login_required
@permission_required(["tasks.view_taskrun", "tasks.add_taskrun"], raise_exception=True)
@require_POST
def run_import_discard(request):
    try:
        upload = _get_upload(request, request.POST.get("token", ""))
    except (stash.UploadGone, stash.AlreadyApplied) as error:
        messages.info(request, str(error))
    else:
        stash.discard(upload)
        messages.success(request, f"Discarded {upload.name}; nothing was imported from it.")
    return redirect("tasks:run-import")


# -- Background work: each person's jobs, their progress and results -------------------


def _get_job(request, pk):
    """The job `pk` if the user may see it (jobs.find); else 404."""
    job = jobs.find(request.user, pk)
    if job is None:
        raise Http404("No such job.")
    return job


def _job_context(job):
    last = jobs.progress(job) if not job.done else None
    return {
        "job": job,
        "progress": last,
        "stalled": jobs.is_stalled(job, last),
        "unclaimed": jobs.is_unclaimed(job),
        "stale_minutes": settings.TASKADMIN_JOB_STALE_MINUTES,
    }


def _render_job(request, job, ticked=()):
    context = _job_context(job)
    if job.kind == Job.Kind.IMPORT_PREVIEW and job.status == Job.Status.SUCCEEDED:
        context.update(preview=job.summary, ticked=set(ticked))
    return render(request, "tasks/job_detail.html", context)


@login_required
def job_list(request):
    """The user's background work, newest first."""
    page = Paginator(
        Job.objects.filter(owner=request.user).defer("params", "summary"),
        settings.TASKADMIN_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "tasks/job_list.html",
        {"page": page, "keep_days": settings.TASKADMIN_JOB_KEEP_DAYS},
    )


@login_required
def job_detail(request, pk):
    return _render_job(request, _get_job(request, pk))


@login_required
def job_progress(request, pk):
    """The job page's progress, polled every second while the work runs; once it
    has ended, htmx is told to load the whole page again to show the result."""
    job = _get_job(request, pk)
    if job.done and request.headers.get("HX-Request"):
        return HttpResponseClientRefresh()
    return render(request, "tasks/_job_progress.html", _job_context(job))


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def job_download(request, pk):
    """The job's result file (an export, an import report), streamed from storage."""
    job = _get_job(request, pk)
    try:
        return file_attachment(job.result_name, job.result_type, jobs.open_result(job))
    except jobs.NoResult as error:
        raise Http404(str(error)) from None


def _list_url(request):
    params = {
        key: request.GET[key] for key in ("q", "sort", "status", "page") if request.GET.get(key)
    }
    url = reverse("tasks:run-list")
    return f"{url}?{urlencode(params)}" if params else url
