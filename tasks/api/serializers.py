"""What the API says about runs, derived from the model's fields.

Reading: TaskRunSerializer (every field's type and help text from the model).
Writing is checked by the run form (tasks.api.writes); the write serializers
here only describe the request bodies in the OpenAPI document.
"""

from django.urls import reverse
from rest_framework import serializers

from tasks.api.writes import CONTROL_FIELDS
from tasks.models import TaskRun

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
        return self._absolute(reverse("api:run-detail", args=[run.pk]))

    def get_page_url(self, run) -> str:
        return self._absolute(run.get_absolute_url())

    def _absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

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


class TaskRunPageSerializer(serializers.Serializer):
    """A page of runs (described for the OpenAPI document)."""

    count = serializers.IntegerField(help_text="Matching runs, counted up to the cap.")
    count_capped = serializers.BooleanField(help_text="More runs match than `count` says.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
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
