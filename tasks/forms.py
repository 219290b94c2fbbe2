from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *(
                Fieldset(legend, *(_layout_item(name) for name in names))
                for legend, names in TaskRun.CONFIG_GROUPS
            )
        )
