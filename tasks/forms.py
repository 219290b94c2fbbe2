import json

from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from tasks import (
    costs,
    exporting,
    importing,
    launch_args,
    mephisto_sync,
    money,
    rules,
    services,
)
from tasks.conflicts import Conflict
from tasks.fields import (
    AmountField,
    ChoiceNameInput,
    DurationSecondsField,
    JSONListField,
    JSONObjectField,
    TagsInput,
    WholeNumberField,
    argument_field,
)
from tasks.models import TaskRun
from tasks.providers import BLUEPRINT_MAIN_ARGUMENT

# The run form's block that follows the blueprint, architect and provider chosen.
ARGUMENT_BLOCK = ("blueprint_source", *TaskRun.ARGUMENT_SECTIONS.values())


def _model_error_messages():
    """The messages the model gives its fields, so the form's own checks say the same."""
    messages = {}
    for name in TaskRun.EDITABLE_FIELDS:
        kwargs = TaskRun._meta.get_field(name).deconstruct()[3]
        if "error_messages" in kwargs:
            messages[name] = kwargs["error_messages"]
    return messages


def _as_typed(value):
    """An argument's value as its input holds it (the inverse of the input's parsing)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


def _argument_in(message, group):
    """The key a launch-argument message from the model names ("mephisto.<group>.<key>: ...")."""
    prefix = f"mephisto.{group}."
    if isinstance(message, str) and message.startswith(prefix):
        return message[len(prefix) :].split(":", 1)[0]
    return None


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

    # One input per argument the chosen blueprint, architect and provider
    # declare, beside a JSON "other arguments" input; the sections are assembled
    # back in clean(). False keeps each section as one JSON input (the admin).
    argument_inputs = True

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
        self._add_argument_fields()
        self.helper.layout = self._layout()

    # -- The launch arguments: derived from tasks.launch_args for the chosen names.

    def _chosen(self, group):
        if self.is_bound and group in self.fields:
            posted = self.fields[group].widget.value_from_datadict(
                self.data, self.files, self.add_prefix(group)
            )
            return posted.strip() if isinstance(posted, str) else ""
        value = self.initial.get(group, getattr(self.instance, group))
        return value if isinstance(value, str) else ""

    def _add_argument_fields(self):
        """Add an input for each argument the chosen names declare, after the model's fields.

        `self.argument_fields` maps each section field to {argument: form field name}.
        """
        self.chosen = {group: self._chosen(group) for group in TaskRun.ARGUMENT_SECTIONS}
        probe = TaskRun(**self.chosen)
        self.argument_fields = {}
        if self.is_bound and self.argument_inputs:
            self.data = self.data.copy()
        for group, section in TaskRun.ARGUMENT_SECTIONS.items():
            name = self.chosen[group]
            declared = launch_args.arguments(group, name) if name else None
            taken = probe.taken_arguments(group)
            shown = {
                key: argument
                for key, argument in (declared or {}).items()
                if not argument.selector and key not in taken
            }
            other = self.fields.get(section)
            if other is None:
                continue  # shown read-only (a launched run in the admin)
            if not self.argument_inputs:
                if declared:
                    other.help_text += (
                        f" Mephisto's {name} {group} declares: {', '.join(shown) or 'nothing'}"
                        + (f" ({', '.join(taken)} is a field above)." if taken else ".")
                    )
                continue
            if declared is None:
                other.label = f"{group.capitalize()} arguments (JSON)"
                other.help_text = (
                    f"mephisto.{group}, as a JSON object: kept as written."
                    if name
                    else f"mephisto.{group}, as a JSON object, for the {group} chosen at launch."
                )
            else:
                other.label = f"Other {group} arguments (JSON)"
                other.help_text = (
                    f"Keys Mephisto's {name} {group} does not declare, as a JSON object."
                    " Mephisto would refuse them at launch, so saving refuses them too."
                )
            main = BLUEPRINT_MAIN_ARGUMENT.get(name) if group == "blueprint" else None
            if main and declared and main in declared and "blueprint_source" in self.fields:
                source = self.fields["blueprint_source"]
                source.label = f"{main} (the blueprint's main file)"
                source.help_text = declared[main].help_text
            other.widget.attrs["rows"] = 3
            names = {key: f"{section}__{key}" for key in shown}
            self.argument_fields[section] = names
            if self.is_bound:
                self._carry_over(section, names)
                current = {
                    key: self.data.get(self.add_prefix(field)) for key, field in names.items()
                }
            else:
                stored = getattr(self.instance, section)
                stored = stored if isinstance(stored, dict) else {}
                current = {key: stored[key] for key in names if key in stored}
                for key, value in current.items():
                    self.initial[names[key]] = value
                if isinstance(stored, dict) and section in self.initial:
                    self.initial[section] = {k: v for k, v in stored.items() if k not in names}
            for key, argument in shown.items():
                self.fields[names[key]] = argument_field(argument, current.get(key))

    def _carry_over(self, section, names):
        """Move what was posted for a section between its inputs and its JSON input:
        typed arguments the chosen name does not declare into the JSON (kept, and
        refused by name where Mephisto would refuse them), declared keys given in
        the JSON into their empty inputs. The section assembled in clean() is the
        same either way; after a change of blueprint the page shows each value
        where it now belongs, typed values of arguments both declare left in place.
        """
        prefix = self.add_prefix(f"{section}__")
        other_key = self.add_prefix(section)
        text = self.data.get(other_key, "")
        try:
            other = json.loads(text) if text.strip() else {}
        except ValueError:
            return
        if not isinstance(other, dict):
            return
        moved = False
        for key in [key for key in self.data if key.startswith(prefix)]:
            argument = key[len(prefix) :]
            if argument in names:
                continue
            value = self.data.get(key) or ""
            del self.data[key]
            if value.strip() and argument not in other:
                other[argument] = value
                moved = True
        for argument, field in names.items():
            key = self.add_prefix(field)
            posted = str(self.data.get(key, "")).strip()
            if argument in other and other[argument] is not None and not posted:
                self.data[key] = _as_typed(other.pop(argument))
                moved = True
        if moved:
            self.data[other_key] = json.dumps(other, ensure_ascii=False, indent=2) if other else ""

    @property
    def argument_choices(self):
        """The names the argument inputs were made for: the live preview replaces
        them (run-form.js) only when the names change."""
        return "|".join(self.chosen[group] for group in TaskRun.ARGUMENT_SECTIONS)

    @property
    def argument_groups(self):
        """[{legend, notice, fields}, ...]: the inputs of each section, for the template."""
        groups = []
        for group, section in TaskRun.ARGUMENT_SECTIONS.items():
            name = self.chosen[group]
            declared = launch_args.arguments(group, name) if name else None
            known = declared is not None
            main = [self["blueprint_source"]] if group == "blueprint" else []
            groups.append(
                {
                    "group": group,
                    "legend": f"{group.capitalize()} arguments"
                    + (f": {name}" if name else " (chosen at launch)"),
                    "notice": f"{name}: {launch_args.NOT_CHECKED}." if name and not known else "",
                    "fields": main
                    + [self[field] for field in self.argument_fields.get(section, {}).values()]
                    + [self[section]],
                }
            )
        return groups

    def clean(self):
        cleaned = super().clean()
        for section, names in self.argument_fields.items():
            other = cleaned.get(section)
            if not isinstance(other, dict):
                continue  # refused already, or by the model's validator
            typed = {
                key: cleaned[field]
                for key, field in names.items()
                if cleaned.get(field) is not None
            }
            twice = [key for key in typed if key in other]
            if twice:
                self.add_error(
                    section,
                    ValidationError(
                        f"{', '.join(twice)}: given in"
                        f" {'its input' if len(twice) == 1 else 'their inputs'} above as well;"
                        " give each value once.",
                        code="given_twice",
                    ),
                )
                continue
            cleaned[section] = {**typed, **other}
        return cleaned

    def _update_errors(self, errors):
        # The model names the key of each launch-argument problem: put it beside
        # that key's own input when there is one.
        for group, section in TaskRun.ARGUMENT_SECTIONS.items():
            names = self.argument_fields.get(section)
            if not names or section not in getattr(errors, "error_dict", {}):
                continue
            kept = []
            for error in errors.error_dict[section]:
                field = names.get(_argument_in(error.message, group))
                if field:
                    errors.error_dict.setdefault(field, []).append(error)
                else:
                    kept.append(error)
            if kept:
                errors.error_dict[section] = kept
            else:
                del errors.error_dict[section]
        super()._update_errors(errors)

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
            elif self.argument_inputs and name in ARGUMENT_BLOCK:
                # The blueprint's main file and the three sections' inputs,
                # together: the live preview replaces them when a choice changes.
                if name == "blueprint_source":
                    yield HTML('{% include "tasks/_launch_arguments.html" %}')
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
        # A field left to another file (base) is set here once a person sets it.
        self.instance.unset_fields = [
            name for name in self.instance.unset_fields if name not in self.changed_data
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
            if name in TaskRun.ARGUMENT_SECTIONS.values():
                # The whole section goes in its JSON input; the form moves each
                # declared argument back to its own input when it is read.
                for posted in [posted for posted in data if posted.startswith(f"{key}__")]:
                    del data[posted]
            value = fields[name].prepare_value(getattr(run, name))
            if isinstance(fields[name], forms.BooleanField):
                if value:
                    data[key] = "on"
                else:
                    data.pop(key, None)
            else:
                data[key] = "" if value is None else str(value)
        return data


class AdminTaskRunForm(TaskRunForm):
    """The admin's form: each section one JSON input, its help naming the arguments
    the chosen blueprint, architect or provider declares. The admin's fieldsets name
    the model's fields, and an input the fieldsets leave out would post nothing."""

    argument_inputs = False


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
        return importing.as_one_upload([(upload.name, upload.read()) for upload in uploads])


class MephistoSyncForm(forms.Form):
    database = forms.FileField(
        label="Mephisto's database.db",
        help_text=(
            "The file Mephisto keeps its task runs, units and workers in (its data"
            " directory's database.db). It is only read."
        ),
    )

    def clean_database(self):
        upload = self.cleaned_data["database"]
        if upload.size > settings.TASKADMIN_SYNC_MAX_BYTES:
            raise forms.ValidationError(mephisto_sync.upload_size_error(upload.name, upload.size))
        return upload
