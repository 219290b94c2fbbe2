"""What the run form shows beside its inputs, derived on the server for its live preview.

The form's script only displays these values (STYLE 18: the browser holds no
rule). Each comes from the function the model, the pages and the exports use:
tags from tasks.tags, rewards from tasks.money, the estimate from tasks.costs,
durations from tasks.durations.
"""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.template.loader import render_to_string

from tasks import costs, money
from tasks.durations import humanize_seconds
from tasks.models import TaskRun
from tasks.tags import read_tags


def derived_values(form):
    """{"durations", "tags", "reward", "estimate_html", "arguments"} for a bound
    TaskRunForm, validated.

    A value is derived from a field as typed once that field accepts it on its
    own (it parses and passes the model field's validators); a rule across
    fields that fails does not hide it: a Prolific reward too low for its
    hourly rate is still worth saying in pounds.
    """
    provider = _own_value(form, "provider")
    reward = _own_value(form, "task_reward")
    return {
        "durations": {
            name: humanize_seconds(form.cleaned_data[name])
            for name in TaskRun.DURATION_FIELDS
            if name in form.cleaned_data
        },
        "tags": _tags(_posted(form, "task_tags")),
        "reward": {
            "unit": money.reward_unit(provider),
            # What the input should hold once the user leaves it ("0.5" -> "0.50").
            "typed": None if reward is None else money.reward_as_typed(reward, provider),
            "text": None if reward is None else money.format_reward(reward, provider),
            "equivalent": money.reward_equivalent(reward, provider),
        },
        "estimate_html": render_to_string(
            "tasks/_estimate.html", {"estimate": _estimate(form, provider, reward)}
        ),
        "arguments": _arguments(form),
    }


def _arguments(form):
    """The argument inputs for the posted blueprint, architect and provider, holding
    what was posted (see TaskRunForm._carry_over), without messages: the preview
    lists those, and the page's own show once the form is sent."""
    fresh = type(form)(form.data, instance=form.instance, prefix=form.prefix)
    fresh._errors = ErrorDict()  # rendered as typed, not validated again
    return {
        "choices": fresh.argument_choices,
        "html": render_to_string("tasks/_launch_arguments.html", {"form": fresh}),
    }


def _estimate(form, provider, reward):
    if provider is None:
        return None
    # A run of only the values the estimate reads, as typed: never a stale
    # value left on the form's instance by an input it refused.
    run = TaskRun(
        provider=provider,
        task_reward=reward,
        planned_units=_own_value(form, "planned_units"),
        maximum_units_per_worker=_own_value(form, "maximum_units_per_worker"),
    )
    return costs.estimate(run)


def _tags(text):
    reading = read_tags(text)
    return {
        "kept": reading.tags,
        "duplicates": [{"tag": tag, "same_as": first} for tag, first in reading.duplicates],
        "blanks": reading.blanks,
        "note": reading.dropped_note(),
    }


def _posted(form, name):
    return form.fields[name].widget.value_from_datadict(
        form.data, form.files, form.add_prefix(name)
    )


def _own_value(form, name):
    """The posted value of `name` if its form field and model field accept it; else None."""
    try:
        value = form.fields[name].clean(_posted(form, name))
        TaskRun._meta.get_field(name).run_validators(value)
    except ValidationError:
        return None
    return value
