"""The API's endpoints: thin callers of tasks.listing, tasks.services, tasks.exporting,
tasks.importing, tasks.jobs and tasks.schema, answering JSON (or the export's own format).

What a request does at once and what goes to a background job is decided as in
the dashboard (tasks.jobs: enqueue_export, parse_small); a job is answered with
202 Accepted, its URL in Location, to poll until it ends.

Every write goes through tasks.services (via tasks.api.writes for the run's
fields). A refused request answers a JSON object with `detail` (and `code`).
"""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import APIException
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import (
    exporting,
    history,
    importing,
    jobs,
    listing,
    querystrings,
    schema,
    services,
    stash,
)
from tasks.api import imports, writes
from tasks.api.permissions import ChangeOnPost, TaskRunPermissions
from tasks.api.serializers import (
    ImportSerializer,
    JobDetailSerializer,
    JobPageSerializer,
    JobSerializer,
    LaunchSerializer,
    ProblemSerializer,
    TaskRunPageSerializer,
    TaskRunSerializer,
    TaskRunWriteSerializer,
    VersionSerializer,
)
from tasks.downloads import attachment, file_attachment
from tasks.models import ApiToken, EditConflict, Job, TaskRun
from tasks.providers import Provider

PROBLEM = OpenApiResponse(ProblemSerializer, description="Refused: `detail` says why.")
ACCEPTED = OpenApiResponse(
    JobDetailSerializer,
    description="Too big for one request: queued as a background job, at Location. Poll it.",
)
LOCATION = OpenApiParameter(
    "Location",
    str,
    OpenApiParameter.HEADER,
    response=[202],
    description="The queued job in the API (/api/jobs/<id>): poll it until it has ended.",
)
JOB_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job's id."
)
# One run's export by its file name: config.json, config.yaml, config.txt (overrides).
EXPORT_EXTENSIONS = {"json": "json", "yaml": "yaml", "yml": "yaml", "txt": "overrides"}
TARGET = OpenApiParameter(
    "target",
    str,
    enum=list(exporting.TARGETS),
    description="The Mephisto release that will read it (default latest).",
)
LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Words the title, task name or tags all contain."),
    OpenApiParameter(
        "status", str, enum=list(listing.STATUS_FILTERS), description="Default: current."
    ),
    OpenApiParameter("provider", str, enum=list(Provider.values)),
    OpenApiParameter(
        "sort",
        str,
        enum=[f"{sign}{key}" for key in listing.SORTS for sign in ("", "-")],
        description=f"Default: {listing.DEFAULT_SORT}.",
    ),
]
_ETAG = re.compile(r'\s*(?:W/)?"v([1-9][0-9]{0,9})"\s*\Z', re.ASCII)


class Problem(APIException):
    """A refusal with a JSON body of our own (`detail` and more)."""

    def __init__(self, status, body):
        self.status_code = status
        self.body = body
        super().__init__(body.get("detail"))


class IgnoreAccept(BaseContentNegotiation):
    """An export is in the format its URL names, whatever Accept says (curl, urllib)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _problem(status, detail, code="invalid", **extra):
    return Response({"code": code, "detail": detail, **extra}, status=status)


def _refused(error):
    return Response(error.body, status=error.status)


class ApiView(APIView):
    """Model permissions on task runs; bodies bounded like a form post's."""

    queryset = TaskRun.objects.none()  # tells DjangoModelPermissions the model
    permission_classes = [TaskRunPermissions]
    max_body_bytes = None  # default: settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        limit = self.max_body_bytes or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise Problem(
                http.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                {
                    "code": "too_large",
                    "detail": f"The body is {length:,} bytes; at most {limit:,} are accepted.",
                },
            )

    def handle_exception(self, exc):
        if isinstance(exc, Problem):
            return Response(exc.body, status=exc.status_code)
        if isinstance(exc, writes.Refused):
            return _refused(exc)
        over = _over_a_request_limit(exc)
        if over is not None:
            return _problem(*over)
        return super().handle_exception(exc)


def _over_a_request_limit(error):
    """(status, detail, code) for a request over Django's DATA_UPLOAD_* limits, which
    Django raises as the body or query string is read (a page of HTML otherwise);
    None for any other error."""
    if isinstance(error, TooManyFilesSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return 400, f"At most {most:,} files may be posted at once; put more in a zip."
    if isinstance(error, TooManyFieldsSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return 400, f"At most {most:,} fields (form fields or query parameters) may be sent."
    if isinstance(error, RequestDataTooBig):
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return (
            413,
            f"The form fields (the files aside) hold more than {most:,} bytes;"
            " at most that many are accepted.",
            "too_large",
        )
    return None


def _via(request):
    """How the history names this path: the API, and which token (or the session)."""
    if isinstance(request.auth, ApiToken):
        return f"api (token {request.auth.prefix}: {request.auth.name})"
    return "api (session)"


def _get_run(pk):
    if pk > querystrings.BIGINT_MAX:
        raise Http404
    return get_object_or_404(TaskRun.objects.select_related("created_by", "updated_by"), pk=pk)


def etag(run):
    return f'"v{run.version}"'


def _run_response(request, run, status=http.HTTP_200_OK):
    response = Response(TaskRunSerializer(run, context={"request": request}).data, status=status)
    response["ETag"] = etag(run)
    if status == http.HTTP_201_CREATED:
        response["Location"] = reverse("api:run-detail", args=[run.pk])
    return response


def _check_query(request):
    if querystrings.unstorable(request.query_params):
        raise Problem(400, {"code": "invalid", "detail": querystrings.PARAMETERS_UNSTORABLE})


def _choice(request, name, choices, default):
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if value not in choices:
        raise Problem(
            400,
            {
                "code": "invalid",
                "detail": f"{name} must be one of {', '.join(choices)}; not {value[:50]!r}.",
            },
        )
    return value


def _whole(request, name, default, maximum):
    value = request.query_params.get(name)
    if value is None:
        return default
    ids = querystrings.read_ids([value], maximum=maximum)
    if not ids:
        raise Problem(
            400,
            {"code": "invalid", "detail": f"{name} must be a whole number from 1 to {maximum:,}."},
        )
    return ids[0]


def _filters(request):
    """(query, sort, status, provider) from the query string; raises Problem."""
    _check_query(request)
    query = request.query_params.get("q", "").strip()
    problem = querystrings.search_problem(query)
    if problem:
        raise Problem(400, {"code": "invalid", "detail": problem})
    sorts = [f"{sign}{key}" for key in listing.SORTS for sign in ("", "-")]
    return (
        query,
        _choice(request, "sort", sorts, listing.DEFAULT_SORT),
        _choice(request, "status", list(listing.STATUS_FILTERS), listing.DEFAULT_STATUS),
        _choice(request, "provider", list(Provider.values), None),
    )


def _page_link(request, number):
    params = request.query_params.copy()
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


PAGE_PARAMETERS = [
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description=f"Default {settings.TASKADMIN_PAGE_SIZE}."),
]


def _paged(request, page_of):
    """(page, paging): the Page `page_of(number, size)` gives for the query's `page`
    and `page_size`, and the answer's count, page, pages, next and previous.
    Raises Problem: 400 for an odd value, 404 for a page past the last."""
    number = _whole(request, "page", 1, querystrings.BIGINT_MAX)
    size = _whole(
        request, "page_size", settings.TASKADMIN_PAGE_SIZE, settings.TASKADMIN_API_MAX_PAGE_SIZE
    )
    page = page_of(number, size)
    if page.number != number:
        raise Problem(
            404,
            {
                "code": "not_found",
                "detail": f"No page {number}: there are {page.paginator.num_pages}.",
            },
        )
    return page, {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": _page_link(request, number + 1) if page.has_next() else None,
        "previous": _page_link(request, number - 1) if page.has_previous() else None,
    }


def _usernames(runs):
    ids = {run.created_by_id for run in runs} | {run.updated_by_id for run in runs}
    ids.discard(None)
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


class RunList(ApiView):
    @extend_schema(
        operation_id="runs_list",
        summary="List runs",
        parameters=[*LIST_PARAMETERS, *PAGE_PARAMETERS],
        responses={200: TaskRunPageSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request):
        """Runs matching the search and filters, a page at a time (the list page's search).

        The count stops at 10,000 (250 for a search): `count_capped` then says
        that more match; narrow the search or reverse the sort to reach the rest.
        """
        query, sort_key, status, provider = _filters(request)
        page, paging = _paged(
            request,
            lambda number, size: listing.page_of_runs(
                query, sort_key, status, number, size, provider=provider
            ),
        )
        runs = list(page.object_list)
        context = {"request": request, "usernames": _usernames(runs)}
        return Response(
            {
                **paging,
                "count_capped": page.paginator.capped,
                "results": TaskRunSerializer(runs, many=True, context=context).data,
            }
        )

    @extend_schema(
        operation_id="runs_create",
        summary="Create a run",
        request=TaskRunWriteSerializer,
        responses={201: TaskRunSerializer, 400: PROBLEM},
    )
    def post(self, request):
        """A new run from the fields given (the others take their defaults), checked as
        the form checks it. Unread warnings refuse it until their codes are sent as
        `acknowledge`."""
        values, _, acknowledged = writes.read_body(request.data)
        form = writes.fill_form(TaskRun(), values, base=TaskRun(), acknowledged=acknowledged)
        run = writes.save(
            form,
            lambda **kw: services.run_save(form.instance, by=request.user, via=_via(request), **kw),
            acknowledged=acknowledged,
        )
        return _run_response(request, run, http.HTTP_201_CREATED)


def _if_match(request):
    """The version an If-Match header names, None without one; raises Problem."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _ETAG.match(header)
    if not match:
        raise Problem(
            400,
            {
                "code": "invalid",
                "detail": 'If-Match must be the ETag a GET of the run gave, such as "v3".',
            },
        )
    version = int(match.group(1))
    if version > querystrings.INTEGER_MAX:
        raise Problem(400, {"code": "invalid", "detail": "No run has that version."})
    return version


class RunDetail(ApiView):
    @extend_schema(
        operation_id="runs_read",
        summary="One run",
        responses={200: TaskRunSerializer, 404: PROBLEM},
    )
    def get(self, request, pk):
        """The run; its ETag ("v<version>") can be sent back as If-Match with an update."""
        return _run_response(request, _get_run(pk))

    @extend_schema(
        operation_id="runs_update",
        summary="Update a run",
        request=TaskRunWriteSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        responses={200: TaskRunSerializer, 400: PROBLEM, 409: PROBLEM, 428: PROBLEM},
    )
    def patch(self, request, pk):
        """Change the fields given. Name the version you read (`version`, or If-Match
        with the ETag): if the run was saved since, nothing is saved and 409 names
        the fields that changed meanwhile."""
        run = _get_run(pk)
        writes.refuse_if_launched(run)
        values, version, acknowledged = writes.read_body(request.data)
        version = version if version is not None else _if_match(request)
        if version is None:
            return _problem(
                428,
                'Send the version you read: "version" in the body or If-Match with the ETag.',
                code="version_required",
            )
        # The fields left out keep the values of the version read, so that a
        # conflict names only what this request changes.
        base = run
        if version != run.version:
            base = run.history.filter(version=version).order_by("-history_id").first() or run
        form = writes.fill_form(run, values, base=base, version=version, acknowledged=acknowledged)
        saved = writes.save(
            form,
            lambda **kw: services.run_save(form.instance, by=request.user, via=_via(request), **kw),
            acknowledged=acknowledged,
            loaded_version=version,
        )
        return _run_response(request, saved)

    @extend_schema(
        operation_id="runs_delete",
        summary="Delete a draft",
        responses={204: None, 400: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request, pk):
        """Delete a draft (its history is kept). A launched run cannot be deleted."""
        run = _get_run(pk)
        try:
            services.run_delete(run, by=request.user, via=_via(request))
        except ValidationError as error:
            return Response(writes.validation_body(error), status=400)
        return Response(status=http.HTTP_204_NO_CONTENT)


class RunClone(ApiView):
    @extend_schema(
        operation_id="runs_clone",
        summary="Clone a run",
        request=TaskRunWriteSerializer,
        responses={201: TaskRunSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, pk):
        """A new draft with the run's config (and any fields given changed), recorded as
        cloned from it."""
        original = _get_run(pk)
        # No body at all (DRF's empty data) clones unchanged.
        values, _, acknowledged = writes.read_body(request.data)
        clone = original.clone(by=request.user)
        form = writes.fill_form(clone, values, base=clone, acknowledged=acknowledged)
        run = writes.save(
            form,
            lambda **kw: services.run_clone(
                original, by=request.user, via=_via(request), clone=form.instance, **kw
            ),
            acknowledged=acknowledged,
        )
        return _run_response(request, run, http.HTTP_201_CREATED)


def _acknowledged(data):
    codes = data.get("acknowledge", [])
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise Problem(400, {"code": "invalid", "detail": "acknowledge must be a list of codes."})
    return codes


def _body(request, allowed):
    data = request.data
    if not isinstance(data, dict):
        raise Problem(400, {"code": "invalid", "detail": "The body must be a JSON object."})
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise Problem(
            400,
            {
                "code": "invalid",
                "detail": f"Unknown field {unknown[0][:50]!r}; this takes {', '.join(allowed)}.",
            },
        )
    return data


def _status_change(request, run, change):
    try:
        change()
    except services.UnreadWarnings as error:
        return Response(writes.warnings_body(error.warnings), status=400)
    except ValidationError as error:
        return Response(writes.validation_body(error), status=400)
    except EditConflict:
        return _problem(
            409, "Someone else saved this run just now; fetch it and try again.", "conflict"
        )
    return _run_response(request, run)


class RunLaunch(ApiView):
    permission_classes = [ChangeOnPost]

    @extend_schema(
        operation_id="runs_launch",
        summary="Mark a run launched",
        request=LaunchSerializer,
        responses={200: TaskRunSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request, pk):
        """Record that Mephisto launched this draft (with Mephisto's task run id): its
        config is read-only from then on. Warnings that arose since it was saved are
        asked about first."""
        run = _get_run(pk)
        data = _body(request, ("mephisto_task_run_id", "acknowledge"))
        run_id = data.get("mephisto_task_run_id", "")
        if not isinstance(run_id, str):
            return _problem(400, "mephisto_task_run_id must be text.")
        acknowledged = _acknowledged(data)
        return _status_change(
            request,
            run,
            lambda: services.run_launch(
                run, by=request.user, mephisto_task_run_id=run_id.strip(), acknowledged=acknowledged
            ),
        )


class RunArchive(ApiView):
    permission_classes = [ChangeOnPost]

    @extend_schema(
        operation_id="runs_archive",
        summary="Archive a run",
        request=None,
        responses={200: TaskRunSerializer, 400: PROBLEM},
    )
    def post(self, request, pk):
        """Hide the run from the default list."""
        run = _get_run(pk)
        return _status_change(request, run, lambda: services.run_archive(run, by=request.user))


class RunUnarchive(ApiView):
    permission_classes = [ChangeOnPost]

    @extend_schema(
        operation_id="runs_unarchive",
        summary="Bring a run back from the archive",
        request=None,
        responses={200: TaskRunSerializer, 400: PROBLEM},
    )
    def post(self, request, pk):
        """Back to launched (if it was) or draft."""
        run = _get_run(pk)
        return _status_change(request, run, lambda: services.run_unarchive(run, by=request.user))


class RunHistory(ApiView):
    @extend_schema(
        operation_id="runs_history",
        summary="A run's versions",
        responses={200: VersionSerializer(many=True)},
    )
    def get(self, request, pk):
        """The run's versions, newest first, history.PAGE_SIZE at a time: who, when,
        how, the fields each changed, and the warnings read for it. `?before=<history
        id>` gives the versions older than that one; a `Link: <...>; rel="next"`
        header points at the next older page while there is one."""
        run = _get_run(pk)
        before = _whole(request, "before", None, querystrings.INTEGER_MAX)
        records = run.history.select_related("history_user").order_by("-history_id")
        if before is not None:
            records = records.filter(history_id__lt=before)
        # One row more than the page: what the oldest shown changed is measured
        # against it, and it says whether there is an older page.
        records = list(records[: history.PAGE_SIZE + 1])
        shown = records[: history.PAGE_SIZE]
        configs = [history.config_of(record) for record in records]
        versions = [
            {
                "history_id": record.history_id,
                "version": record.version,
                "date": record.history_date,
                "user": record.history_user.get_username() if record.history_user else None,
                "via": record.history_change_reason,
                "type": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                "changed": (
                    history.changed_fields(configs[n + 1], configs[n])
                    if n + 1 < len(records)
                    else []
                ),
                "acknowledged_warnings": record.acknowledged_warnings,
            }
            for n, record in enumerate(shown)
        ]
        response = Response(VersionSerializer(versions, many=True).data)
        if len(records) > history.PAGE_SIZE:
            older = request.build_absolute_uri(
                f"{request.path}?{urlencode({'before': shown[-1].history_id})}"
            )
            response["Link"] = f'<{older}>; rel="next"'
        return response


class RunHistoryDiff(ApiView):
    @extend_schema(
        operation_id="runs_history_diff",
        summary="What changed between two versions",
        parameters=[
            OpenApiParameter("from", int, required=True, description="A version number."),
            OpenApiParameter("to", int, required=True, description="A later version number."),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, pk):
        """Field by field, what changed from version `from` to version `to` (the
        description line by line, when short enough)."""
        run = _get_run(pk)
        _check_query(request)
        numbers = [_whole(request, name, None, querystrings.INTEGER_MAX) for name in ("from", "to")]
        if None in numbers:
            return _problem(400, "Give two versions: ?from=N&to=M.")
        records = []
        for number in numbers:
            record = run.history.filter(version=number).order_by("-history_id").first()
            if record is None:
                return _problem(404, f"This run has no version {number}.", "not_found")
            records.append(record)
        before, after = (history.config_of(record) for record in records)
        return Response(
            {
                "from": numbers[0],
                "to": numbers[1],
                "changes": [
                    {
                        "field": change.name,
                        "label": change.label,
                        "before": before[change.name],
                        "after": after[change.name],
                        "before_text": change.before,
                        "after_text": change.after,
                        "lines": [list(line) for line in change.lines],
                    }
                    for change in history.compare(before, after)
                ],
            }
        )


def _target(request):
    return _choice(request, "target", list(exporting.TARGETS), "latest")


class RunConfig(ApiView):
    content_negotiation_class = IgnoreAccept

    @extend_schema(
        operation_id="runs_config",
        summary="Export one run",
        parameters=[TARGET],
        responses={
            (200, "application/yaml"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/plain"): OpenApiTypes.STR,
            400: PROBLEM,
            404: PROBLEM,
        },
    )
    def get(self, request, pk, ext):
        """The run's config as Mephisto launches it: config.yaml (a Hydra config file
        for hydra_configs/conf/), config.json, or config.txt (the Hydra overrides)."""
        if ext not in EXPORT_EXTENSIONS:
            return _problem(
                404, "Export as config.json, config.yaml or config.txt (overrides).", "not_found"
            )
        run = _get_run(pk)
        _check_query(request)
        try:
            return attachment(*exporting.export_run(run, EXPORT_EXTENSIONS[ext], _target(request)))
        except exporting.ExportError as error:
            return _problem(400, str(error))


def _accepted(request, job):
    """202 Accepted for work queued as `job`: its representation, its URL in Location."""
    response = Response(
        JobDetailSerializer(job, context={"request": request}).data, status=http.HTTP_202_ACCEPTED
    )
    response["Location"] = reverse("api:job-detail", args=[job.pk])
    return response


class RunsExport(ApiView):
    content_negotiation_class = IgnoreAccept
    # No HEAD: a GET of many runs queues a job, and HEAD must change nothing.
    http_method_names = ["get", "options"]

    @extend_schema(
        operation_id="runs_export",
        summary="Export many runs",
        parameters=[
            OpenApiParameter("format", str, enum=list(exporting.FORMATS)),
            TARGET,
            OpenApiParameter("id", int, many=True, description="Only these runs."),
            *LIST_PARAMETERS,
            LOCATION,
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/zip"): OpenApiTypes.BINARY,
            202: ACCEPTED,
            400: PROBLEM,
        },
    )
    def get(self, request):
        """The runs matching the search (or those named by `id`), in the list's order:
        JSON streamed as one array, YAML and overrides as a zip of one file per run.

        More than the dashboard streams at once (TASKADMIN_EXPORT_INLINE_RUNS, 2,000)
        are written by a background job, as in the dashboard: 202 with the job at
        Location; once it has succeeded, its `download` is the file (the runs
        matching when asked, in that order)."""
        query, sort_key, status, provider = _filters(request)
        fmt = _choice(request, "format", list(exporting.FORMATS), "json")
        target = _target(request)
        runs = listing.runs_for_list(query, sort_key, status, provider=provider)
        if "id" in request.query_params:
            runs = runs.filter(pk__in=querystrings.read_ids(request.query_params.getlist("id")))
        job = jobs.enqueue_export(request.user, runs, fmt, target)
        if job is not None:
            return _accepted(request, job)
        try:
            return attachment(*exporting.stream_runs(runs, fmt, target))
        except exporting.ExportError as error:
            return _problem(400, str(error))


def _flag(request, name, default):
    value = request.data.get(name, "")
    if value in ("", None):
        return default
    if str(value).lower() in ("true", "1", "yes", "on"):
        return True
    if str(value).lower() in ("false", "0", "no", "off"):
        return False
    raise Problem(400, {"code": "invalid", "detail": f"{name} must be true or false."})


class RunsImport(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @property
    def max_body_bytes(self):
        # The files themselves are bounded by the import's own limit, checked below;
        # the rest is the multipart framing and the few fields beside them.
        return importing.max_bytes() + 1_000_000

    @extend_schema(
        operation_id="runs_import",
        summary="Import runs (dry run, then apply)",
        request={"multipart/form-data": ImportSerializer},
        parameters=[LOCATION],
        responses={
            200: OpenApiTypes.OBJECT,
            201: OpenApiTypes.OBJECT,
            202: ACCEPTED,
            400: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
        },
    )
    def post(self, request):
        """Files as the Import page reads them (JSON, JSON Lines, YAML, overrides, zip,
        Mephisto database.db), posted as `file`. With `dry_run=true` nothing is saved:
        the answer counts the new, identical and invalid runs and gives each document's
        verdict and warnings. Without it the new runs are saved (`mode=valid` skips
        invalid ones; `acknowledge` carries the warning codes read), all or none.

        A file larger than the Import page reads at once (TASKADMIN_IMPORT_INLINE_RUNS,
        200 runs, or TASKADMIN_IMPORT_INLINE_BYTES, 100 KB) is previewed or imported
        by a background job, with the same rules: 202 with the job at Location, whose
        `result` is what this answer would have been (a refused import ends as a failed
        job with the refusal as its result). 409 when too many of your uploads wait
        already."""
        uploads = request.FILES.getlist("file")
        if not uploads:
            return _problem(400, "Post the file(s) to import as `file` (multipart/form-data).")
        total = sum(upload.size for upload in uploads)
        name = uploads[0].name if len(uploads) == 1 else f"{len(uploads)} files together"
        if total > importing.max_bytes():
            return _problem(413, importing.size_error(name, total), "too_large")
        dry_run = _flag(request, "dry_run", False)
        mode = request.data.get("mode") or "all"
        if mode not in ("all", "valid"):
            return _problem(400, "mode must be all or valid.")
        acknowledged = request.data.getlist("acknowledge")
        if not all(isinstance(code, str) for code in acknowledged):
            return _problem(400, "acknowledge must be warning codes as text, not a file.")
        options = {
            "by": request.user,
            "dry_run": dry_run,
            "only_valid": mode == "valid",
            "acknowledged": acknowledged,
        }
        try:
            name, data, batch = imports.read([(upload.name, upload.read()) for upload in uploads])
        except importing.ImportFailure as error:
            return _problem(400, str(error))
        if batch is not None:
            status, body = imports.import_batch(batch, **options)
            return Response(body, status=status)
        try:
            job = imports.import_in_background(name, data, **options)
        except stash.StashFull as error:
            return _problem(409, str(error), "uploads_waiting")
        return _accepted(request, job)


def _get_job(request, pk):
    """The job `pk` if the caller may see it (jobs.find); raises Problem 404 otherwise,
    the same for someone else's job as for none at all."""
    job = jobs.find(request.user, pk)
    if job is None:
        raise Problem(404, {"code": "not_found", "detail": "No such job."})
    return job


class JobList(ApiView):
    # As the dashboard's job pages: anyone logged in, who sees their own jobs.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="jobs_list",
        tags=["jobs"],
        summary="List your background jobs",
        parameters=PAGE_PARAMETERS,
        responses={200: JobPageSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request):
        """Your background work (big imports and exports, syncs), newest first, a page
        at a time, without each job's `result` (read one job for it). Jobs are kept
        TASKADMIN_JOB_KEEP_DAYS (7) days."""
        _check_query(request)
        jobs_of_owner = Job.objects.filter(owner=request.user).defer("params", "summary")
        page, paging = _paged(
            request, lambda number, size: Paginator(jobs_of_owner, size).get_page(number)
        )
        context = {"request": request}
        return Response(
            {**paging, "results": JobSerializer(page.object_list, many=True, context=context).data}
        )


class JobDetail(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="jobs_read",
        tags=["jobs"],
        summary="One background job",
        parameters=[JOB_ID],
        responses={200: JobDetailSerializer, 404: PROBLEM},
    )
    def get(self, request, pk):
        """The job's status, its progress while it runs, then its `result` (or its
        `error`) and its `download`. Only its owner sees it: anyone else is told 404,
        as for a job that does not exist."""
        job = _get_job(request, pk)
        return Response(JobDetailSerializer(job, context={"request": request}).data)


class JobDownload(ApiView):
    # The file is runs' configs: *view*, as the dashboard's download needs.
    content_negotiation_class = IgnoreAccept

    @extend_schema(
        operation_id="jobs_download",
        tags=["jobs"],
        summary="A background job's file",
        parameters=[JOB_ID],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: PROBLEM,
            409: PROBLEM,
        },
    )
    def get(self, request, pk):
        """The job's file, as its `download` names it: an export (JSON, or a zip),
        an import preview's whole report (JSON Lines). 409 while the job is queued
        or running; 404 for a job without a file (failed, or work that writes none)."""
        job = _get_job(request, pk)
        if not job.done:
            return _problem(
                409,
                f"The job is {job.status} still: its file is ready once it has succeeded."
                f" Poll {reverse('api:job-detail', args=[job.pk])} until then.",
                "not_finished",
            )
        try:
            return file_attachment(job.result_name, job.result_type, jobs.open_result(job))
        except jobs.NoResult as error:
            return _problem(404, str(error), "not_found")


class ConfigSchema(ApiView):
    content_negotiation_class = IgnoreAccept

    @extend_schema(
        operation_id="config_schema",
        tags=["schema"],
        summary="JSON Schema of a config",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """The JSON Schema (draft 2020-12) of a config document, from the model."""
        return JsonResponse(schema.config_schema(), json_dumps_params={"indent": 2})
