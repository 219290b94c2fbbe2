from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from tasks import display, exporting, listing
from tasks.downloads import attachment
from tasks.forms import TaskRunForm
from tasks.models import TaskRun


def _get_run(pk):
    return get_object_or_404(
        TaskRun.objects.select_related("cloned_from", "created_by", "updated_by"), pk=pk
    )


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_list(request):
    query = request.GET.get("q", "").strip()
    sort_key = listing.parse_sort(request.GET.get("sort"))
    runs = listing.runs_for_list(query, sort_key)
    page = Paginator(runs, settings.TASKADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tasks/run_list.html",
        {"page": page, "query": query, "sort": sort_key, "sorts": listing.SORTS},
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
            "config_json": exporting.dumps(exporting.run_to_config(run)),
        },
    )


def _save_form(request, form, *, created):
    run = form.save(commit=False)
    run.updated_by = request.user
    if created:
        run.created_by = request.user
    run.save()
    return run


@login_required
@permission_required("tasks.add_taskrun", raise_exception=True)
def run_create(request):
    form = TaskRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        run = _save_form(request, form, created=True)
        messages.success(request, f"Created “{run}”.")
        return redirect(run)
    return render(request, "tasks/run_form.html", {"form": form, "mode": "create"})


@login_required
@permission_required("tasks.change_taskrun", raise_exception=True)
def run_edit(request, pk):
    run = _get_run(pk)
    form = TaskRunForm(request.POST or None, instance=run)
    if request.method == "POST" and form.is_valid():
        run = _save_form(request, form, created=False)
        messages.success(request, f"Saved “{run}”.")
        return redirect(run)
    return render(request, "tasks/run_form.html", {"form": form, "mode": "edit", "run": run})


@login_required
@permission_required(["tasks.view_taskrun", "tasks.add_taskrun"], raise_exception=True)
def run_clone(request, pk):
    original = _get_run(pk)
    form = TaskRunForm(request.POST or None, instance=original.clone(by=request.user, save=False))
    if request.method == "POST" and form.is_valid():
        run = _save_form(request, form, created=True)
        messages.success(request, f"Created “{run}” as a clone of #{original.pk}.")
        return redirect(run)
    return render(
        request, "tasks/run_form.html", {"form": form, "mode": "clone", "original": original}
    )


@login_required
@permission_required("tasks.delete_taskrun", raise_exception=True)
@require_http_methods(["GET", "POST"])
def run_delete(request, pk):
    run = _get_run(pk)
    if request.method == "POST":
        run.delete()
        messages.success(request, f"Deleted “{run}”.")
        return redirect("tasks:run-list")
    return render(request, "tasks/run_confirm_delete.html", {"run": run})


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def run_export(request, pk):
    return attachment(*exporting.export_run(_get_run(pk)))


@login_required
@permission_required("tasks.view_taskrun", raise_exception=True)
def runs_export(request):
    """The runs ticked on the list page, or all runs matching its search."""
    query = request.GET.get("q", "").strip()
    runs = listing.runs_for_list(query, request.GET.get("sort"))
    if request.GET.get("scope") == "selected":
        selected = [pk for pk in request.GET.getlist("pk") if pk.isdigit()]
        if not selected:
            messages.warning(request, "Tick at least one run to export.")
            return redirect(_list_url(request))
        runs = runs.filter(pk__in=selected)
    return attachment(*exporting.export_runs(runs))


def _list_url(request):
    params = {key: request.GET[key] for key in ("q", "sort", "page") if request.GET.get(key)}
    url = reverse("tasks:run-list")
    return f"{url}?{urlencode(params)}" if params else url
