"""What retention hands out: a run's report, and the marker for "leave this condition"."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from quiver.domain.retention import Policy


class Unchanged(enum.Enum):
    """A condition ``set_policy`` leaves as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class Outcome:
    """One version and what the policy does with it."""

    name: str
    version: str
    reason: str


@dataclass(frozen=True)
class RetentionReport:
    """What a run deleted (or a dry run would delete), and what stays, with reasons."""

    feed: str
    policy: Policy
    dry_run: bool
    going: tuple[Outcome, ...]
    kept: tuple[Outcome, ...]


__all__ = ["UNCHANGED", "Outcome", "RetentionReport", "Unchanged"]
