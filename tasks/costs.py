"""What a run will cost: an estimate, with the assumptions that make it one."""

from dataclasses import dataclass, field
from decimal import Decimal

from tasks import money
from tasks.providers import MTURK_PROVIDERS, Provider


@dataclass(frozen=True)
class Estimate:
    units: int
    currency: str
    reward: Decimal  # per unit, in currency units
    rewards: Decimal  # for all units
    fee_rate: Decimal
    fee: Decimal
    total: Decimal
    assumptions: list = field(default_factory=list)

    @property
    def fee_percent(self):
        return (self.fee_rate * 100).normalize()


def estimate(run):
    """The estimated cost of `run`'s planned units, or None until both are known."""
    if not run.planned_units or run.task_reward is None:
        return None
    reward = money.reward_in_currency(run.task_reward, run.provider)
    rate = money.fee_rate(run.provider)
    rewards = reward * run.planned_units
    fee = (rewards * rate).quantize(money.CENT)
    assumptions = [
        f"every one of the {run.planned_units:,} units is completed and paid once",
        "no bonuses, and no units rejected or repeated",
    ]
    if run.provider in MTURK_PROVIDERS:
        assumptions.append("MTurk's fee of 20% on each reward, as Mephisto computes it")
    elif run.provider == Provider.PROLIFIC:
        assumptions.append(
            f"Prolific's service fee of {(rate * 100).normalize()}% (the "
            "TASKADMIN_PROLIFIC_FEE setting; check your account's current rate)"
        )
    else:
        assumptions.append("no provider fee")
    if not run.is_live:
        assumptions.append(
            f"{run.get_provider_display()} pays no real money: this is what the same run "
            "would cost on a live provider"
        )
    if run.maximum_units_per_worker:
        workers = -(-run.planned_units // run.maximum_units_per_worker)
        assumptions.append(
            f"at {run.maximum_units_per_worker} units per worker at most, "
            f"at least {workers:,} workers are needed"
        )
    return Estimate(
        units=run.planned_units,
        currency=money.currency_symbol(run.provider),
        reward=reward,
        rewards=rewards,
        fee_rate=rate,
        fee=fee,
        total=rewards + fee,
        assumptions=assumptions,
    )
