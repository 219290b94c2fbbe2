"""Form fields for the config's special inputs. They parse and display; the model validates."""

import json
import re

from django import forms
from django.core.exceptions import ValidationError

from tasks.durations import ACCEPTED, humanize_seconds, parse_duration
from tasks.hydra import has_interpolation
from tasks.tags import read_tags


class DurationInput(forms.TextInput):
    """A text input followed by the value in human terms ("31 days")."""

    template_name = "tasks/widgets/duration.html"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "text", "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        try:
            seconds = parse_duration(value) if value not in (None, "") else None
        except ValueError:
            seconds = None
        context["widget"]["human"] = humanize_seconds(seconds)
        return context


class TagsInput(forms.TextInput):
    """A text input followed by its tags as chips, as they will be saved.

    The run form's script shows the chips and keeps them in step with the
    typing through the live preview, which reads the tags the same way.
    """

    template_name = "tasks/widgets/tags.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["tags"] = read_tags(value if isinstance(value, str) else "")
        return context


class DurationSecondsField(forms.IntegerField):
    """Whole seconds, typed as seconds ("45") or in units ("30m", "1d 12h")."""

    widget = DurationInput
    default_error_messages = {"invalid": f"Enter {ACCEPTED}."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_duration(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# Django's number fields read more than people type: int() and Decimal() accept
# other scripts' digits ("١٢") and underscores ("1_000"), and IntegerField drops a
# trailing ".0". A config file cannot hold those (the import refuses them), so the
# form refuses them too, with the field's own "invalid" message.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits, as a config file writes it."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not _WHOLE_NUMBER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AmountField(forms.DecimalField):
    """A decimal number in ASCII digits (0.50, 70, 1e2), as a config file writes it."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not _NUMBER.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class JSONObjectField(forms.JSONField):
    """JSON typed in a text area; syntax errors say where; shown pretty-printed.

    Left empty, it is an empty object (an empty list for JSONListField).
    """

    empty = dict

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return self.empty()
        if isinstance(value, str):
            try:
                return json.loads(value, cls=self.decoder)
            except json.JSONDecodeError as error:
                raise ValidationError(
                    "Not valid JSON: %(msg)s at line %(line)d, column %(column)d.",
                    code="invalid",
                    params={"msg": error.msg, "line": error.lineno, "column": error.colno},
                ) from None
            except RecursionError:
                raise ValidationError(
                    "Not valid JSON: nested too deeply.", code="invalid"
                ) from None
            except ValueError:
                # Python refuses to read an integer of more than 4300 digits.
                raise ValidationError(
                    "Not valid JSON: a number is too long.", code="invalid"
                ) from None
        return value

    def bound_data(self, data, initial):
        # Django's version re-parses the posted text to show it again and lets
        # anything but a syntax error escape (a page of "[" overflows the
        # stack): whatever to_python refused is shown back as typed.
        try:
            return super().bound_data(data, initial)
        except (RecursionError, ValueError):
            return forms.fields.InvalidJSONInput(data)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        text = json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)
        if not text.isascii() and any("\ud800" <= char <= "\udfff" for char in text):
            # An unpaired surrogate ("\\ud800" typed in, refused by the model)
            # cannot be sent as UTF-8: show it escaped, as typed.
            text = json.dumps(value, indent=2, cls=self.encoder)
        return text


class JSONListField(JSONObjectField):
    empty = list


class ChoiceNameInput(forms.TextInput):
    """A text input offering the names Mephisto ships, while taking any other.

    Other packages register their own blueprints (ParlAI's acute_eval, say).
    """

    template_name = "tasks/widgets/choice_name.html"

    def __init__(self, names, attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.names = names

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["names"] = self.names
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}-names"
        return context


class _ArgumentMixin:
    """An input for one argument Mephisto declares: empty means "not written"
    (Mephisto's default applies); an OmegaConf interpolation is kept as text,
    for Mephisto to resolve at launch, whatever the argument's type."""

    def __init__(self, argument, **kwargs):
        self.argument = argument
        kwargs.setdefault("label", argument.name)
        kwargs.setdefault("help_text", argument.help_text)
        super().__init__(required=False, **kwargs)


class TextArgumentField(_ArgumentMixin, forms.CharField):
    """A str (or Optional) argument."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value not in self.empty_values else None


class WholeNumberArgumentField(_ArgumentMixin, forms.CharField):
    """An int argument, typed as ASCII digits. A text input, not a number input:
    the browser would drop what it cannot read (and an interpolation) silently."""

    default_error_messages = {
        "invalid": "Enter a whole number, or an interpolation such as ${task_dir}.",
    }

    def __init__(self, argument, **kwargs):
        super().__init__(argument, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if has_interpolation(value):
            return value
        if not _WHOLE_NUMBER.fullmatch(value) or len(value) > 30:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)

    def prepare_value(self, value):
        return "" if value is None else str(value)


class BooleanArgumentField(_ArgumentMixin, forms.ChoiceField):
    """A bool argument: Mephisto's default, true or false. A choice rather than a
    checkbox, so that "not written" and an explicit false stay apart."""

    def __init__(self, argument, *, current=None, **kwargs):
        default = argument.default if isinstance(argument.default, bool) else None
        choices = [
            ("", f"Mephisto's default ({str(default).lower()})" if default is not None else "—"),
            ("true", "true"),
            ("false", "false"),
        ]
        if isinstance(current, str) and has_interpolation(current):
            choices.append((current, current))
        super().__init__(argument, choices=choices, **kwargs)
        self.widget.attrs.update({"class": "form-select"})

    def to_python(self, value):
        return {"": None, "true": True, "false": False}.get(value, value)

    def validate(self, value):
        if value is not None and not isinstance(value, bool):
            super().validate(value)

    def prepare_value(self, value):
        return {None: "", True: "true", False: "false"}.get(value, value)


class JSONArgumentField(_ArgumentMixin, JSONObjectField):
    """A list or Dict argument, typed as JSON."""

    def __init__(self, argument, **kwargs):
        super().__init__(
            argument,
            widget=forms.Textarea(
                attrs={"rows": 2, "class": "font-monospace", "spellcheck": "false"}
            ),
            **kwargs,
        )

    def to_python(self, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return super().to_python(value)

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


def argument_field(argument, current=None):
    """The form field for one of Mephisto's declared arguments."""
    if argument.type == "int":
        return WholeNumberArgumentField(argument)
    if argument.type == "bool":
        return BooleanArgumentField(argument, current=current)
    if argument.type in ("list", "Dict"):
        return JSONArgumentField(argument)
    return TextArgumentField(argument)
