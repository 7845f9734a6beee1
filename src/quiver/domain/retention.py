"""Retention rules: which versions of a package a feed's policy sends to the recycle bin.

A policy has up to two conditions. *Keep at most N versions*: the N newest versions
(PEP 440 order; versions PEP 440 cannot parse count as the oldest) are kept, older
ones are candidates. *Keep versions downloaded within D days*: a version whose latest
activity (its last download, or when it was added if it was never downloaded) is
within D days is kept, older ones are candidates. A version goes only when every
configured condition makes it a candidate. Versions promoted to a view other than
``local`` always stay, and a policy without conditions deletes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from packaging.version import InvalidVersion, Version

from quiver.domain.errors import Invalid

#: Upper bounds, so a typo cannot overflow the columns.
MAX_VERSIONS_LIMIT = 100_000
MAX_DAYS_LIMIT = 36_500


@dataclass(frozen=True)
class Policy:
    """A feed's retention policy; None means that condition is not configured."""

    max_versions: int | None = None
    days: int | None = None

    @property
    def configured(self) -> bool:
        return self.max_versions is not None or self.days is not None

    def describe(self) -> str:
        parts = []
        if self.max_versions is not None:
            parts.append(f"keep at most {self.max_versions} versions per package")
        if self.days is not None:
            parts.append(f"keep versions downloaded within {_days(self.days)}")
        return " and ".join(parts) if parts else "no retention policy"


def check_policy(policy: Policy) -> Policy:
    """``policy`` if each condition is a whole number in range; Invalid (400) if not."""
    if policy.max_versions is not None and not 1 <= policy.max_versions <= MAX_VERSIONS_LIMIT:
        raise Invalid(
            f"max_versions must be between 1 and {MAX_VERSIONS_LIMIT} "
            f"(or null for no limit), not {policy.max_versions}."
        )
    if policy.days is not None and not 1 <= policy.days <= MAX_DAYS_LIMIT:
        raise Invalid(
            f"days must be between 1 and {MAX_DAYS_LIMIT} "
            f"(or null for no limit), not {policy.days}."
        )
    return policy


@dataclass(frozen=True)
class VersionFacts:
    """What the rules need of one version (not in the recycle bin)."""

    version: str
    created_at: datetime
    last_download_at: datetime | None = None
    # The views other than ``local`` it is promoted to.
    views: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Whether a version goes to the recycle bin, and why (a sentence fragment)."""

    version: str
    goes: bool
    reason: str


def decide(policy: Policy, versions: Sequence[VersionFacts], now: datetime) -> list[Decision]:
    """The decision for each of one package's versions, newest first (PEP 440 order)."""
    ordered = sorted(versions, key=_age_key, reverse=True)
    decisions = []
    for rank, facts in enumerate(ordered):
        decisions.append(_decide_one(policy, facts, rank, now))
    return decisions


def _decide_one(policy: Policy, facts: VersionFacts, rank: int, now: datetime) -> Decision:
    if facts.views:
        return Decision(facts.version, False, "promoted to " + ", ".join(facts.views))
    if not policy.configured:
        return Decision(facts.version, False, "no retention policy")
    goes, kept = [], []
    if policy.max_versions is not None:
        n = policy.max_versions
        if rank >= n:
            goes.append(f"older than the {_newest(n)}")
        else:
            kept.append("the newest version" if n == 1 else f"one of the {_newest(n)}")
    if policy.days is not None:
        went, said = _activity(facts, policy.days, now)
        (goes if went else kept).append(said)
    if kept:
        return Decision(facts.version, False, "; ".join(kept))
    return Decision(facts.version, True, "; ".join(goes))


def _newest(n: int) -> str:
    return "newest version" if n == 1 else f"{n} newest versions"


def _activity(facts: VersionFacts, days: int, now: datetime) -> tuple[bool, str]:
    """Whether the version's latest activity is more than ``days`` ago, and a phrase saying so."""
    downloaded = facts.last_download_at
    if downloaded is not None and downloaded >= facts.created_at:
        latest, what = downloaded, "last downloaded"
    elif downloaded is not None:
        latest, what = facts.created_at, "added"
    else:
        latest, what = facts.created_at, "never downloaded; added"
    stale = latest < now - timedelta(days=days)
    when = f"{what} {latest:%Y-%m-%d}"
    if stale:
        return True, f"{when}, more than {_days(days)} ago"
    return False, f"{when}, within the last {'day' if days == 1 else _days(days)}"


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _age_key(facts: VersionFacts) -> tuple[int, Version, datetime, str]:
    """Sort key, oldest first: unparsable versions before every PEP 440 one."""
    try:
        return (1, Version(facts.version), facts.created_at, facts.version)
    except InvalidVersion:
        return (0, Version("0"), facts.created_at, facts.version)


__all__ = [
    "MAX_DAYS_LIMIT",
    "MAX_VERSIONS_LIMIT",
    "Decision",
    "Policy",
    "VersionFacts",
    "check_policy",
    "decide",
]
