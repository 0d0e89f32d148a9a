"""Allocation rounds' algorithm: pure, preferences and capacities in, a stable allocation out.

Participant-proposing deferred acceptance with capacities (hospitals/residents), ties in a
place's order broken by one seeded lottery, and per participant the reason for each choice.
No Flask and no database session: the services in matcher.services.allocation_runs load a
round into an Instance and store the Outcome.
"""

from matcher.allocation.deferred_acceptance import allocate
from matcher.allocation.explain import (
    VERDICTS,
    ChoiceVerdict,
    ExplainedRound,
    explain,
    explain_all,
)
from matcher.allocation.instance import Instance, Outcome
from matcher.allocation.lottery import draw_lottery

__all__ = [
    "VERDICTS",
    "ChoiceVerdict",
    "ExplainedRound",
    "Instance",
    "Outcome",
    "allocate",
    "draw_lottery",
    "explain",
    "explain_all",
]
