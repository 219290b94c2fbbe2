"""The cost estimate: reward × units + the provider's fee, with its assumptions."""

from decimal import Decimal

import pytest

from tasks.costs import estimate
from tasks.models import TaskRun
from tests.conftest import VALID_RUN


def run_for(**overrides):
    return TaskRun(**{**VALID_RUN, **overrides})


def test_no_estimate_until_the_number_of_units_is_known():
    assert estimate(run_for(planned_units=None)) is None


@pytest.mark.parametrize("provider", ["mturk", "mturk_sandbox"])
def test_mturk_adds_twenty_percent_as_mephisto_computes_it(provider):
    cost = estimate(run_for(provider=provider, task_reward=Decimal("0.50"), planned_units=300))
    assert (cost.currency, cost.reward, cost.rewards, cost.fee, cost.total) == (
        "$",
        Decimal("0.50"),
        Decimal("150.00"),
        Decimal("30.00"),
        Decimal("180.00"),
    )
    assert "MTurk's fee of 20% on each reward, as Mephisto computes it" in cost.assumptions


def test_prolific_reads_cents_and_adds_its_service_fee(settings):
    settings.TASKADMIN_PROLIFIC_FEE = 0.333
    settings.TASKADMIN_PROLIFIC_CURRENCY = "GBP"
    cost = estimate(run_for(provider="prolific", task_reward=Decimal("150"), planned_units=100))
    assert (cost.currency, cost.reward, cost.rewards, cost.fee, cost.total) == (
        "£",
        Decimal("1.50"),
        Decimal("150.00"),
        Decimal("49.95"),
        Decimal("199.95"),
    )
    assert cost.fee_percent == Decimal("33.3")


@pytest.mark.parametrize("provider", ["mock", "inhouse"])
def test_local_providers_have_no_fee_and_say_no_money_is_paid(provider):
    cost = estimate(run_for(provider=provider, task_reward=Decimal("1.00"), planned_units=10))
    assert (cost.fee, cost.total) == (Decimal("0.00"), Decimal("10.00"))
    assert "no provider fee" in cost.assumptions
    assert any("pays no real money" in text for text in cost.assumptions)


def test_the_per_worker_limit_says_how_many_workers_are_needed():
    cost = estimate(run_for(provider="mturk", planned_units=101, maximum_units_per_worker=10))
    assert "at 10 units per worker at most, at least 11 workers are needed" in cost.assumptions


def test_the_estimate_is_shown_on_the_detail_page_and_the_form(editor_client, make_run):
    run = make_run(provider="mturk", task_reward=Decimal("0.50"), planned_units=300)
    for url in (run.get_absolute_url(), f"/runs/{run.pk}/edit/"):
        html = editor_client.get(url).text
        assert "Total (estimate)" in html
        assert "$180.00" in html
        assert "Assumes every one of the 300 units is completed and paid once" in html
