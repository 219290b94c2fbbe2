"""Rewards and costs as providers read them.

MTurk and the others take task_reward in dollars; Mephisto hands Prolific
int(task_reward), which Prolific reads as whole cents (pence) of the account's
currency. So one stored number means two things, and this module says which.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from tasks.providers import MTURK_PROVIDERS, Provider

CENT = Decimal("0.01")

# What Mephisto adds on top of the rewards when it reports an MTurk run's cost.
MTURK_FEE = Decimal("0.20")


SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}


def prolific_currency():
    """The symbol of the Prolific account's currency (TASKADMIN_PROLIFIC_CURRENCY)."""
    code = settings.TASKADMIN_PROLIFIC_CURRENCY
    return SYMBOLS.get(code, f"{code} ")


def reward_in_currency(reward, provider):
    """The reward per unit in currency units (dollars, pounds)."""
    if reward is None:
        return None
    if provider == Provider.PROLIFIC:
        return (Decimal(reward) / 100).quantize(CENT)
    return Decimal(reward).quantize(CENT, rounding=ROUND_HALF_UP)


def currency_symbol(provider):
    return prolific_currency() if provider == Provider.PROLIFIC else "$"


def format_reward(reward, provider):
    """ "$0.50", or for Prolific "70¢ (£0.70)"."""
    if reward is None:
        return "—"
    if provider == Provider.PROLIFIC:
        return f"{int(reward)}¢ ({prolific_currency()}{reward_in_currency(reward, provider)})"
    return f"${Decimal(reward).quantize(CENT)}"


def reward_unit(provider):
    """The unit a reward is typed in: "¢" for Prolific (whole cents), "$" for the others."""
    return "¢" if provider == Provider.PROLIFIC else "$"


def reward_as_typed(reward, provider):
    """The reward the way the form shows it in its input: "0.50", or for Prolific "150"."""
    if reward is None:
        return ""
    reward = Decimal(reward)
    if provider == Provider.PROLIFIC:
        return str(int(reward)) if reward % 1 == 0 else str(reward)
    return str(reward.quantize(CENT))


def reward_equivalent(reward, provider):
    """For Prolific, what the cents are in currency ("= 70¢ (£0.70) per unit"); else ""."""
    if provider == Provider.PROLIFIC and reward is not None:
        return f"= {format_reward(reward, provider)} per unit"
    return ""


def fee_rate(provider):
    if provider in MTURK_PROVIDERS:
        return MTURK_FEE
    if provider == Provider.PROLIFIC:
        return Decimal(str(settings.TASKADMIN_PROLIFIC_FEE))
    return Decimal(0)


def hourly_rate(reward, provider, minutes):
    """What a worker earns per hour at `minutes` a unit, in currency units.

    None when there is no such rate: no reward, or no positive time to divide by.
    """
    if reward is None or not minutes or minutes < 0:
        return None
    return (reward_in_currency(reward, provider) * 60 / minutes).quantize(CENT)
