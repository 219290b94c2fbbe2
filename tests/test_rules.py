"""Provider-aware rules: each error and warning with a passing and a failing case."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tasks import rules
from tasks.models import TaskRun
from tests.conftest import VALID_RUN

pytestmark = pytest.mark.django_db

MTURK = ["mturk", "mturk_sandbox"]


def run_for(**overrides):
    return TaskRun(**{**VALID_RUN, **overrides})


def errors_for(**overrides):
    try:
        run_for(**overrides).full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


def warning_codes(run):
    return [finding.code for finding in rules.check(run, rules.WARNING)]


def test_errors_and_warnings_are_declared_side_by_side():
    strengths = {rule.strength for rule in rules.RULES}
    assert strengths == {rules.ERROR, rules.WARNING}
    assert len({rule.code for rule in rules.RULES}) == len(rules.RULES)


# -- Rewards by provider --------------------------------------------------------------


@pytest.mark.parametrize("provider", ["mock", "inhouse"])
def test_local_providers_may_pay_nothing(provider):
    assert errors_for(provider=provider, task_reward=Decimal("0")) == {}


@pytest.mark.parametrize("provider", MTURK)
def test_mturk_refuses_a_zero_reward(provider):
    assert errors_for(provider=provider, task_reward=Decimal("0"))["task_reward"] == [
        "MTurk does not post unpaid tasks: give a reward above $0.00."
    ]


@pytest.mark.parametrize("provider", MTURK)
def test_mturk_accepts_a_cent(provider):
    assert errors_for(provider=provider, task_reward=Decimal("0.01")) == {}


def prolific(**overrides):
    return {
        "provider": "prolific",
        "task_reward": Decimal("150"),
        "estimated_minutes": 10,
        **overrides,
    }


def test_prolific_accepts_whole_cents_above_the_minimum_rate():
    # 150 cents for 10 minutes is $9.00 an hour, above the $8.00 minimum.
    assert errors_for(**prolific()) == {}


def test_prolific_refuses_fractions_of_a_cent_saying_what_mephisto_would_pay():
    assert errors_for(**prolific(task_reward=Decimal("150.50")))["task_reward"] == [
        "Prolific pays whole cents and Mephisto passes int(task_reward): 150.50 would pay 150. "
        "Enter whole cents, such as 70."
    ]


def test_prolific_refuses_a_reward_under_the_minimum_hourly_rate():
    assert errors_for(**prolific(task_reward=Decimal("100")))["task_reward"] == [
        "Prolific requires at least $8.00 an hour: 100¢ for 10 minutes pays $6.00 an hour."
    ]


def test_prolific_minimum_rate_is_a_setting(settings):
    settings.TASKADMIN_PROLIFIC_MIN_HOURLY_RATE = 6.0
    settings.TASKADMIN_PROLIFIC_CURRENCY = "GBP"
    assert errors_for(**prolific(task_reward=Decimal("100"))) == {}
    assert errors_for(**prolific(task_reward=Decimal("90")))["task_reward"] == [
        "Prolific requires at least £6.00 an hour: 90¢ for 10 minutes pays £5.40 an hour."
    ]


def test_prolific_needs_the_estimated_completion_time():
    assert errors_for(**prolific(estimated_minutes=None))["estimated_minutes"] == [
        "Prolific needs the estimated completion time to judge the hourly rate."
    ]


def test_other_providers_do_not_need_the_completion_time():
    assert errors_for(provider="mturk", estimated_minutes=None) == {}


# -- MTurk's limits -------------------------------------------------------------------


@pytest.mark.parametrize("provider", MTURK)
def test_mturk_title_up_to_128_characters(provider):
    assert errors_for(provider=provider, task_title="x" * 128) == {}
    assert errors_for(provider=provider, task_title="x" * 129)["task_title"] == [
        "MTurk takes at most 128 characters in a title; this one has 129."
    ]


def test_other_providers_take_longer_titles():
    assert errors_for(**prolific(task_title="x" * 200)) == {}


@pytest.mark.parametrize("provider", MTURK)
def test_mturk_description_up_to_2000_characters(provider):
    assert errors_for(provider=provider, task_description="x" * 2000) == {}
    assert errors_for(provider=provider, task_description="x" * 2001)["task_description"] == [
        "MTurk takes at most 2,000 characters in a description; this one has 2,001."
    ]


@pytest.mark.parametrize("provider", MTURK)
def test_mturk_keywords_up_to_1000_characters(provider):
    tags = ", ".join(f"t{n:03}" for n in range(167))  # 1,000 characters
    assert errors_for(provider=provider, task_tags=tags) == {}
    assert errors_for(provider=provider, task_tags=tags + ", xy")["task_tags"] == [
        "MTurk takes at most 1,000 characters of keywords; these have 1,004."
    ]


@pytest.mark.parametrize("field", ["task_lifetime_in_seconds", "assignment_duration_in_seconds"])
@pytest.mark.parametrize("seconds", [30, 365 * 86400])
def test_mturk_durations_within_30_seconds_and_365_days_are_accepted(field, seconds):
    assert field not in errors_for(
        provider="mturk", no_submission_patience=10**9, **{field: seconds}
    )


@pytest.mark.parametrize("field", ["task_lifetime_in_seconds", "assignment_duration_in_seconds"])
@pytest.mark.parametrize("seconds", [29, 365 * 86400 + 1])
def test_mturk_durations_outside_30_seconds_and_365_days_are_refused(field, seconds):
    assert errors_for(provider="mturk", **{field: seconds})[field] == [
        "MTurk accepts between 30 seconds and 365 days here."
    ]


def test_mock_runs_may_time_out_in_seconds():
    assert errors_for(provider="mock", assignment_duration_in_seconds=5) == {}


# -- Warnings -------------------------------------------------------------------------


# Each provider with a reward it accepts, so that only the warning under test shows.
PROVIDERS = {
    "mock": {"provider": "mock"},
    "inhouse": {"provider": "inhouse"},
    "mturk": {"provider": "mturk"},
    "mturk_sandbox": {"provider": "mturk_sandbox"},
    "prolific": {"provider": "prolific", "task_reward": Decimal("150"), "estimated_minutes": 10},
}
per_provider = pytest.mark.parametrize("setup", PROVIDERS.values(), ids=PROVIDERS.keys())


@per_provider
def test_patience_of_twice_the_assignment_draws_no_warning(setup):
    run = run_for(**setup, no_submission_patience=3600, assignment_duration_in_seconds=1800)
    assert warning_codes(run) == []


@per_provider
def test_patience_shorter_than_twice_the_assignment_warns_with_its_reason(setup):
    run = run_for(**setup, no_submission_patience=3599, assignment_duration_in_seconds=1800)
    (finding,) = rules.check(run, rules.WARNING)
    assert finding.field == "no_submission_patience"
    assert finding.message == (
        "Patience (59 minutes 59 seconds) is shorter than twice the assignment duration "
        "(30 minutes): Mephisto starts the patience clock at launch, so a healthy run whose "
        "first submission takes longer is shut down."
    )


@per_provider
def test_resuming_warns_that_the_values_here_are_ignored(setup):
    assert warning_codes(run_for(**setup, resume_incomplete_run=False)) == []
    assert warning_codes(run_for(**setup, resume_incomplete_run=True)) == [
        "resume_ignores_these_values"
    ]


@per_provider
def test_a_post_install_script_without_rebuild_warns(setup):
    assert warning_codes(run_for(**setup, post_install_script="a.sh", force_rebuild=True)) == []
    assert warning_codes(run_for(**setup, post_install_script="a.sh")) == ["script_without_rebuild"]


@per_provider
def test_the_warned_runs_are_valid_for_their_provider(setup):
    run_for(**setup, resume_incomplete_run=True).full_clean()


def test_a_shared_task_name_warns_listing_the_other_runs(make_run):
    first = make_run(task_name="pilot", task_title="First pilot")
    assert warning_codes(run_for(task_name="pilot-new")) == []
    (finding,) = rules.check(run_for(task_name="pilot"), rules.WARNING)
    assert finding.message == (
        f"Other runs use the task name “pilot” (#{first.pk} First pilot): together they form one "
        "Mephisto task, so maximum units per worker counts across all of them. Use a new name "
        "such as “pilot-2” to make this a task of its own."
    )


@pytest.mark.parametrize(
    ("name", "following"), [("pilot", "pilot-2"), ("pilot-2", "pilot-3"), ("a-b", "a-b-2")]
)
def test_the_suggested_next_task_name_counts_up(name, following):
    assert rules.next_task_name(name) == following


def test_warnings_never_block_a_save_by_themselves():
    run = run_for(resume_incomplete_run=True, post_install_script="x.sh")
    run.full_clean()
    run.save()


@pytest.mark.parametrize(
    ("architect", "name", "host"),
    [
        ("ec2", "Sample Questionnaire", "SampleQuestionnaire"),
        ("heroku", "image_labels", "image-labels"),
        ("", "übersetzung-de-ja", "bersetzung-de-ja"),
    ],
)
def test_a_task_name_that_a_host_name_cannot_hold_warns_with_the_name_mephisto_derives(
    architect, name, host
):
    (finding,) = rules.check(run_for(architect=architect, task_name=name), rules.WARNING)
    assert (finding.code, finding.field) == ("task_name_in_host_name", "task_name")
    assert f"“{name}” becomes “{host}”" in finding.message


@pytest.mark.parametrize(
    ("architect", "name"),
    [("local", "Sample Questionnaire"), ("ec2", "pilot-2"), ("ec2", "pairwise_${now:%H}")],
)
def test_a_task_name_served_locally_or_already_a_host_name_does_not_warn(architect, name):
    assert warning_codes(run_for(architect=architect, task_name=name)) == []
