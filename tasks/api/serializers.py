"""What the API says about runs and background jobs, derived from the models' fields.

Reading: TaskRunSerializer (every field's type and help text from the model),
JobSerializer and JobDetailSerializer. Writing is checked by the run form
(tasks.api.writes); the write serializers here only describe the request
bodies in the OpenAPI document.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks import import_report, jobs
from tasks.api import imports
from tasks.api.writes import CONTROL_FIELDS
from tasks.models import Job, TaskRun


def _absolute(serializer, path):
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


BOOKKEEPING_FIELDS = (
    "status",
    "version",
    "launched_at",
    "mephisto_task_run_id",
    "mephisto_created_at",
    "acknowledged_warnings",
    "cloned_from",
    "created_at",
    "updated_at",
)


class TaskRunSerializer(serializers.ModelSerializer):
    """One run: its config (every editable field) and its bookkeeping."""

    url = serializers.SerializerMethodField(help_text="This run in the API.")
    page_url = serializers.SerializerMethodField(help_text="This run's page in the dashboard.")
    created_by = serializers.SerializerMethodField(help_text="Username of who created it.")
    updated_by = serializers.SerializerMethodField(help_text="Username of who saved it last.")
    # A number, as every export writes it (never a whole-number float).
    task_reward = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        coerce_to_string=False,
        help_text=TaskRun._meta.get_field("task_reward").help_text,
    )

    class Meta:
        model = TaskRun
        fields = (
            "id",
            "url",
            "page_url",
            *TaskRun.EDITABLE_FIELDS,
            *BOOKKEEPING_FIELDS,
            "created_by",
            "updated_by",
        )
        read_only_fields = fields

    def get_url(self, run) -> str:
        return _absolute(self, reverse("api:run-detail", args=[run.pk]))

    def get_page_url(self, run) -> str:
        return _absolute(self, run.get_absolute_url())

    def _username(self, run, name):
        usernames = self.context.get("usernames")
        user_id = getattr(run, f"{name}_id")
        if user_id is None:
            return None
        if usernames is not None:
            return usernames.get(user_id)
        return getattr(run, name).get_username()

    def get_created_by(self, run) -> str | None:
        return self._username(run, "created_by")

    def get_updated_by(self, run) -> str | None:
        return self._username(run, "updated_by")


class PageSerializer(serializers.Serializer):
    """What every page of a list says besides its results."""

    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="The next page, if any.")
    previous = serializers.CharField(allow_null=True, help_text="The previous page, if any.")


class TaskRunPageSerializer(PageSerializer):
    """A page of runs (described for the OpenAPI document)."""

    count = serializers.IntegerField(help_text="Matching runs, counted up to the cap.")
    count_capped = serializers.BooleanField(help_text="More runs match than `count` says.")
    results = TaskRunSerializer(many=True)


class TaskRunWriteSerializer(serializers.ModelSerializer):
    """The config fields a write may send (any subset), and its control fields."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "The version you read (or send If-Match with the ETag): an update of an"
            " older version is refused with 409."
        ),
    )
    acknowledge = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Codes of the warnings you have read; a write with unread warnings is refused.",
    )

    class Meta:
        model = TaskRun
        fields = (*TaskRun.EDITABLE_FIELDS, *CONTROL_FIELDS)
        extra_kwargs = {name: {"required": False} for name in TaskRun.EDITABLE_FIELDS}


class LaunchSerializer(serializers.Serializer):
    mephisto_task_run_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The id Mephisto gave the run when it was launched.",
    )
    acknowledge = serializers.ListField(child=serializers.CharField(), required=False)


class ProblemSerializer(serializers.Serializer):
    """Why a request was refused: `code`, `detail`, and per case `errors`,
    `warnings` or the conflict's fields."""

    code = serializers.CharField(required=False)
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(), required=False)
    warnings = serializers.ListField(child=serializers.DictField(), required=False)
    current_version = serializers.IntegerField(required=False)
    changed_by_others = serializers.ListField(child=serializers.CharField(), required=False)


class VersionSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    version = serializers.IntegerField()
    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    via = serializers.CharField(allow_null=True)
    type = serializers.CharField(help_text="created (+), changed (~) or deleted (-)")
    changed = serializers.ListField(child=serializers.CharField())
    acknowledged_warnings = serializers.ListField(child=serializers.CharField())


class ImportSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="One or more files.")
    dry_run = serializers.BooleanField(required=False, default=False)
    mode = serializers.ChoiceField(choices=["all", "valid"], required=False, default="all")
    acknowledge = serializers.ListField(child=serializers.CharField(), required=False)


class ProgressSerializer(serializers.Serializer):
    """How far a running job has got (tasks.jobs.Progress)."""

    done = serializers.IntegerField(help_text="Items done in this step.")
    total = serializers.IntegerField(allow_null=True, help_text="Items in it, once known.")
    percent = serializers.IntegerField(
        allow_null=True, help_text="0 to 100; null while the total is not known."
    )
    step = serializers.CharField(help_text='What is being done ("Reading the file").')


class JobSerializer(serializers.ModelSerializer):
    """One piece of background work, as its page shows it (tasks.models.Job)."""

    url = serializers.SerializerMethodField(help_text="This job in the API: poll it.")
    page_url = serializers.SerializerMethodField(help_text="This job's page in the dashboard.")
    progress = serializers.SerializerMethodField(
        help_text="While it runs, the last progress reported; null before and after."
    )
    stalled = serializers.SerializerMethodField(
        help_text="Running, but nothing heard from its worker for TASKADMIN_JOB_STALE_MINUTES."
    )
    unclaimed = serializers.SerializerMethodField(
        help_text="Queued for a minute and more: no worker seems to be running."
    )
    download = serializers.SerializerMethodField(
        help_text=(
            "Once it has succeeded, its file (an export; an import preview's whole report"
            " as JSON Lines); else null."
        )
    )

    class Meta:
        model = Job
        fields = (
            "id",
            "url",
            "page_url",
            "kind",
            "title",
            "status",
            "progress",
            "stalled",
            "unclaimed",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "download",
        )
        read_only_fields = fields

    def to_representation(self, job):
        # Read once from the cache for both `progress` and `stalled`.
        self._last = jobs.progress(job) if not job.done else None
        return super().to_representation(job)

    def get_url(self, job) -> str:
        return _absolute(self, reverse("api:job-detail", args=[job.pk]))

    def get_page_url(self, job) -> str:
        return _absolute(self, job.get_absolute_url())

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, job):
        last = self._last
        if last is None:
            return None
        return {"done": last.done, "total": last.total, "percent": last.percent, "step": last.step}

    def get_stalled(self, job) -> bool:
        return jobs.is_stalled(job, self._last)

    def get_unclaimed(self, job) -> bool:
        return jobs.is_unclaimed(job)

    def get_download(self, job) -> str | None:
        if job.status != Job.Status.SUCCEEDED or not job.result:
            return None
        return _absolute(self, reverse("api:job-download", args=[job.pk]))


class JobDetailSerializer(JobSerializer):
    """A job with its result."""

    result = serializers.SerializerMethodField(
        help_text=(
            "What it found, by kind. import_preview: as POST /api/runs/import's dry run"
            f" answers, with the first {import_report.PAGE_ROWS} documents of each kind"
            " (`documents_more` counts the rest, all in `download`). import_apply: as its"
            f" 201 (`created` holds the first {import_report.PAGE_ROWS} ids; `imported`"
            " counts them all), or, refused, as its 400 `import_refused`. export: runs,"
            " format and target (the file is `download`). mephisto_sync: the sync's"
            " counts. Null while it runs, and for a failure whose `error` says it all."
        )
    )

    class Meta(JobSerializer.Meta):
        fields = (*JobSerializer.Meta.fields, "result")
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_result(self, job):
        if job.kind in (Job.Kind.IMPORT_PREVIEW, Job.Kind.IMPORT_APPLY):
            return imports.job_result(job)
        return job.summary if job.status == Job.Status.SUCCEEDED else None


class JobPageSerializer(PageSerializer):
    """A page of the caller's jobs, newest first (described for the OpenAPI document)."""

    results = JobSerializer(many=True)
