from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from tasks import costs, exporting, importing, launch_args, money, rules, services
from tasks.conflicts import Conflict
from tasks.fields import (
    AmountField,
    ChoiceNameInput,
    DurationSecondsField,
    JSONListField,
    JSONObjectField,
    TagsInput,
    WholeNumberField,
)
from tasks.models import TaskRun


def _model_error_messages():
    """The messages the model gives its fields, so the form's own checks say the same."""
    messages = {}
    for name in TaskRun.EDITABLE_FIELDS:
        kwargs = TaskRun._meta.get_field(name).deconstruct()[3]
        if "error_messages" in kwargs:
            messages[name] = kwargs["error_messages"]
    return messages


def _reward_unit(provider):
    # The live preview says the unit again when the provider changes (run-form.js).
    return format_html("<span data-reward-unit>{}</span>", money.reward_unit(provider))


class TaskRunForm(forms.ModelForm):
    """The config fields, grouped the way a person thinks about them.

    Labels, help texts, defaults and rules all come from the model; this form
    only chooses inputs and layout.
    """

    class Meta:
        model = TaskRun
        fields = TaskRun.EDITABLE_FIELDS
        field_classes = {
            **dict.fromkeys(TaskRun.DURATION_FIELDS, DurationSecondsField),
            **dict.fromkeys(
                (*TaskRun.LIMIT_FIELDS, "estimated_minutes", "planned_units"), WholeNumberField
            ),
            **dict.fromkeys(
                ("aux_parameters", *TaskRun.SECTION_FIELDS, "top_level"), JSONObjectField
            ),
            "task_reward": AmountField,
            "defaults": JSONListField,
        }
        error_messages = _model_error_messages()
        widgets = {
            "task_title": forms.TextInput(attrs={"autocomplete": "off"}),
            "task_description": forms.Textarea(attrs={"rows": 4}),
            # Text, not a number input: the browser would round or refuse 0.005
            # silently, where the server says what is wrong.
            "task_reward": forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "data-money": ""}
            ),
            "task_tags": TagsInput(attrs={"autocomplete": "off"}),
            "task_name": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "defaults to the blueprint type"}
            ),
            **{
                group: ChoiceNameInput(launch_args.KNOWN[group])
                for group in ("blueprint", "architect")
            },
        }

    # The version of the run this form was filled from: a save of an older
    # version than the stored one is refused as a conflict, never applied.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The warnings the user has read: a save with an unread warning is held back.
    # Its choices are the warnings that apply, in words (set in __init__ and
    # once the posted values are known); any warning's code may be posted.
    acknowledge = forms.MultipleChoiceField(
        label="I have read these warnings",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        self.warnings = []
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.render_hidden_fields = True  # the version
        if self.instance.task_reward is not None:
            # Prolific's cents as "150", not "150.00"; dollars as "0.50".
            self.initial["task_reward"] = money.reward_as_typed(
                self.instance.task_reward, self.instance.provider
            )
        if self.is_bound:
            self.fields["acknowledge"].choices = [(code, code) for code in rules.WARNING_CODES]
        elif self.instance.task_title:
            # Opening an existing run (or a clone of one) shows its warnings at
            # once, so they can be read and ticked before the first save.
            self.warnings = services.warnings_for(self.instance)
            self.fields["acknowledge"].choices = [(w.code, w.message) for w in self.warnings]
        self.helper.layout = self._layout()

    @property
    def estimate(self):
        return costs.estimate(self.instance)

    @property
    def reward_equivalent(self):
        """For Prolific, what the cents are in currency; nothing otherwise."""
        return money.reward_equivalent(self.instance.task_reward, self.instance.provider)

    def _layout(self):
        # A field may have several warnings (a task name shared and not a host
        # name): each gets its own tick box beside the field.
        warned = {}
        for finding in self.warnings:
            warned.setdefault(finding.field, []).append(finding.code)

        def items(name):
            if name == "task_reward":
                yield PrependedText(name, _reward_unit(self.instance.provider))
                yield HTML('{% include "tasks/_reward_equivalent.html" %}')
            else:
                yield name
            if name == "planned_units":
                yield HTML('{% include "tasks/_estimate.html" with estimate=form.estimate %}')
            for code in warned.get(name, ()):
                yield HTML(f'{{% include "tasks/_acknowledge.html" with code="{code}" %}}')

        return Layout(
            *(
                Fieldset(legend, *(item for name in names for item in items(name)))
                for legend, names in TaskRun.FORM_GROUPS
            )
        )

    def _post_clean(self):
        # A value a config file gave as an interpolation stays one while it is
        # left alone; what a person types over it is literal text.
        self.instance.interpolated = [
            name for name in self.instance.interpolated if name not in self.changed_data
        ]
        super()._post_clean()  # the instance now holds the posted values, normalised
        if self.instance.pk is not None:
            self._check_version(self.cleaned_data.get("version"))
        self._check_warnings()

    def _check_warnings(self):
        """Hold the save back until every warning has been read, and remember which.

        The warnings themselves are shown beside their fields, each with its
        tick box; the error that holds the save back sits on `acknowledge`.
        """
        warnings = services.warnings_for(self.instance)
        read = set(self.cleaned_data.get("acknowledge") or ())
        unread = [w for w in warnings if w.code not in read]
        self._show_warnings(warnings, unread)
        self.instance.acknowledged_warnings = [w.code for w in warnings]

    def ask_about(self, warnings):
        """Show `warnings` (from services.UnreadWarnings) as unread, holding the save back."""
        self._show_warnings(warnings, warnings)

    def _show_warnings(self, warnings, unread):
        self.warnings = warnings
        self.fields["acknowledge"].choices = [(w.code, w.message) for w in warnings]
        self.helper.layout = self._layout()
        if unread:
            self.add_error(
                "acknowledge",
                ValidationError(
                    f"Read the warning{'s' if len(unread) > 1 else ''} marked below and tick "
                    "“I have read this” to save.",
                    code="unread_warning",
                ),
            )

    def add_service_error(self, error):
        """Put a ValidationError from tasks.services beside its fields (or on top)."""
        for name, errors in getattr(error, "error_dict", {None: error.error_list}).items():
            self.add_error(name if name in self.fields else None, errors)

    @property
    def field_error_count(self):
        """Fields with a mistake to correct: unread warnings and conflicts are told apart."""
        return len(
            [name for name in self.errors if name not in ("acknowledge", "version", "__all__")]
        )

    def _check_version(self, loaded):
        current = TaskRun.objects.get(pk=self.instance.pk)
        if loaded == current.version:
            self.instance.version = loaded
            return
        invalid = set(self.errors)
        yours = {
            name: getattr(self.instance, name)
            for name in TaskRun.EDITABLE_FIELDS
            if name not in invalid
        }
        self.conflict = Conflict(run=current, loaded_version=loaded, yours=yours, invalid=invalid)
        self._rebase_on(current)
        # On the hidden version field, so pages show the conflict their own way
        # (a table of what changed) rather than as one more generic error.
        self.add_error(
            "version",
            ValidationError(
                "Someone else saved this run while you were editing it. Your changes are "
                "kept below, now on top of their version: check the fields listed and "
                "save again.",
                code="conflict",
            ),
        )

    def _rebase_on(self, current):
        """Show the current run with the user's own changes applied on top.

        Fields the user did not touch take the other person's values, so saving
        again keeps both people's work; the version moves to the current one.
        """
        names = [n for n in TaskRun.EDITABLE_FIELDS if n not in self.conflict.changed_by_you]
        self.data = self._post_data(current, self.data, names, prefix=self.prefix)
        self.data[self.add_prefix("version")] = str(current.version)

    @classmethod
    def post_data_for(cls, run, data):
        """`data` (a QueryDict) with `run`'s config as a browser would post it for this form."""
        return cls._post_data(run, data, TaskRun.EDITABLE_FIELDS)

    @classmethod
    def _post_data(cls, run, data, names, prefix=None):
        data = data.copy()
        fields = cls.base_fields
        for name in names:
            key = f"{prefix}-{name}" if prefix else name
            value = fields[name].prepare_value(getattr(run, name))
            if isinstance(fields[name], forms.BooleanField):
                if value:
                    data[key] = "on"
                else:
                    data.pop(key, None)
            else:
                data[key] = "" if value is None else str(value)
        return data


class ExportForm(forms.Form):
    """Which format and Mephisto release an export is for (a GET form)."""

    format = forms.ChoiceField(
        choices=[(fmt, exporting.FORMAT_LABELS[fmt]) for fmt in exporting.FORMATS],
        initial="json",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    target = forms.ChoiceField(
        label="For",
        choices=list(exporting.TARGET_LABELS.items()),
        initial="latest",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def choices(self):
        """(format, target), the defaults when absent or not offered."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("format") or "json", data.get("target") or "latest"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes several files and cleans to a list (Django's own recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple) and data:
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        # No file at all: FileField's own "This field is required."
        return [super().clean(data or None, initial)]


class ImportForm(forms.Form):
    file = MultipleFileField(
        label="Files",
        help_text=(
            "JSON, JSON Lines, Hydra YAML, Hydra overrides, a zip of such files,"
            " or a Mephisto database.db. Choose several files at once to read them"
            " together, like a zip of them: a config whose defaults list names"
            " another (- base) is composed with it, as Hydra does."
        ),
    )

    def clean_file(self):
        uploads = self.cleaned_data["file"]
        for upload in uploads:
            if upload.size > importing.max_bytes():
                raise forms.ValidationError(importing.size_error(upload.name, upload.size))
        total = sum(upload.size for upload in uploads)
        if len(uploads) > 1 and total > importing.max_bytes():
            raise forms.ValidationError(
                importing.size_error(f"{len(uploads)} files together", total)
            )
        return uploads

    def name_and_data(self):
        """(name, bytes) of the upload: the one file, or several bundled as one zip.
        Raises importing.ImportFailure."""
        uploads = self.cleaned_data["file"]
        files = [(upload.name, upload.read()) for upload in uploads]
        return files[0] if len(files) == 1 else importing.bundle(files)
