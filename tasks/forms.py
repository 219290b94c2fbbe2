from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError

from tasks.conflicts import Conflict
from tasks.fields import DurationSecondsField, JSONObjectField
from tasks.models import TaskRun


def _model_error_messages():
    """The messages the model gives its fields, so the form's own checks say the same."""
    messages = {}
    for name in TaskRun.CONFIG_FIELDS:
        kwargs = TaskRun._meta.get_field(name).deconstruct()[3]
        if "error_messages" in kwargs:
            messages[name] = kwargs["error_messages"]
    return messages


def _layout_item(name):
    if name == "task_reward":
        return PrependedText(name, "$")
    return name


class TaskRunForm(forms.ModelForm):
    """The config fields, grouped the way a person thinks about them.

    Labels, help texts, defaults and rules all come from the model; this form
    only chooses inputs and layout.
    """

    class Meta:
        model = TaskRun
        fields = TaskRun.CONFIG_FIELDS
        field_classes = {
            **dict.fromkeys(TaskRun.DURATION_FIELDS, DurationSecondsField),
            "aux_parameters": JSONObjectField,
        }
        error_messages = _model_error_messages()
        widgets = {
            "task_title": forms.TextInput(attrs={"autocomplete": "off"}),
            "task_description": forms.Textarea(attrs={"rows": 4}),
            # Text, not a number input: the browser would round or refuse 0.005
            # silently, where the server says what is wrong.
            "task_reward": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            "task_tags": forms.TextInput(attrs={"autocomplete": "off"}),
            "task_name": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "defaults to the blueprint type"}
            ),
        }

    # The version of the run this form was filled from: a save of an older
    # version than the stored one is refused as a conflict, never applied.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.render_hidden_fields = True  # the version
        self.helper.layout = Layout(
            *(
                Fieldset(legend, *(_layout_item(name) for name in names))
                for legend, names in TaskRun.CONFIG_GROUPS
            )
        )

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the posted values, normalised
        if self.instance.pk is not None:
            self._check_version(self.cleaned_data.get("version"))

    def _check_version(self, loaded):
        current = TaskRun.objects.get(pk=self.instance.pk)
        if loaded == current.version:
            self.instance.version = loaded
            return
        invalid = set(self.errors)
        yours = {
            name: getattr(self.instance, name)
            for name in TaskRun.CONFIG_FIELDS
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
        data = self.data.copy()
        for name in TaskRun.CONFIG_FIELDS:
            if name in self.conflict.changed_by_you:
                continue
            field = self.fields[name]
            value = field.prepare_value(getattr(current, name))
            if isinstance(field, forms.BooleanField):
                if value:
                    data[self.add_prefix(name)] = "on"
                else:
                    data.pop(self.add_prefix(name), None)
            else:
                data[self.add_prefix(name)] = "" if value is None else str(value)
        data[self.add_prefix("version")] = str(current.version)
        self.data = data
