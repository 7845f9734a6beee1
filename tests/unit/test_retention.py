"""The retention rules: which versions go, which stay, and the reasons given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiver.domain.errors import Invalid
from quiver.domain.retention import Decision, Policy, VersionFacts, check_policy, decide

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def facts(
    version: str, added: float, downloaded: float | None = None, views: tuple[str, ...] = ()
) -> VersionFacts:
    """A version added ``added`` days ago, last downloaded ``downloaded`` days ago."""
    last = None if downloaded is None else ago(downloaded)
    return VersionFacts(version, ago(added), last, views)


def going(policy: Policy, versions: list[VersionFacts]) -> dict[str, str]:
    return {d.version: d.reason for d in decide(policy, versions, NOW) if d.goes}


def by_version(policy: Policy, versions: list[VersionFacts]) -> dict[str, Decision]:
    return {d.version: d for d in decide(policy, versions, NOW)}


FIVE = [facts(v, added=100 - i) for i, v in enumerate(["1.0", "1.1", "2.0rc1", "2.0", "10.0"])]


def test_no_policy_deletes_nothing() -> None:
    decisions = decide(Policy(), FIVE, NOW)
    assert not any(d.goes for d in decisions)
    assert {d.reason for d in decisions} == {"no retention policy"}


def test_keep_at_most_n_keeps_the_newest_by_pep_440() -> None:
    decisions = by_version(Policy(max_versions=2), FIVE)
    assert [v for v, d in decisions.items() if not d.goes] == ["10.0", "2.0"]
    assert going(Policy(max_versions=2), FIVE) == {
        "2.0rc1": "older than the 2 newest versions",
        "1.1": "older than the 2 newest versions",
        "1.0": "older than the 2 newest versions",
    }
    assert decisions["10.0"].reason == "one of the 2 newest versions"


def test_decisions_come_newest_first() -> None:
    order = [d.version for d in decide(Policy(max_versions=1), FIVE, NOW)]
    assert order == ["10.0", "2.0", "2.0rc1", "1.1", "1.0"]


def test_keep_one() -> None:
    assert by_version(Policy(max_versions=1), FIVE)["10.0"].reason == "the newest version"
    assert going(Policy(max_versions=1), FIVE)["2.0"] == "older than the newest version"


def test_n_at_least_the_number_of_versions_keeps_all() -> None:
    assert going(Policy(max_versions=5), FIVE) == {}
    assert going(Policy(max_versions=50), FIVE) == {}


def test_unparsable_versions_count_as_the_oldest() -> None:
    versions = [facts("1.0", 10), facts("not-a-version", 1), facts("0.1", 20)]
    assert set(going(Policy(max_versions=2), versions)) == {"not-a-version"}


def test_days_use_the_last_download() -> None:
    versions = [facts("1.0", 400, downloaded=5), facts("1.1", 300, downloaded=45)]
    assert going(Policy(days=30), versions) == {
        "1.1": f"last downloaded {ago(45):%Y-%m-%d}, more than 30 days ago"
    }
    kept = by_version(Policy(days=30), versions)["1.0"]
    assert kept.reason == f"last downloaded {ago(5):%Y-%m-%d}, within the last 30 days"


def test_days_without_downloads_use_the_time_it_was_added() -> None:
    versions = [facts("1.0", 40), facts("1.1", 10)]
    assert going(Policy(days=30), versions) == {
        "1.0": f"never downloaded; added {ago(40):%Y-%m-%d}, more than 30 days ago"
    }
    assert by_version(Policy(days=30), versions)["1.1"].reason == (
        f"never downloaded; added {ago(10):%Y-%m-%d}, within the last 30 days"
    )


def test_days_boundary() -> None:
    versions = [facts("1.0", 50, downloaded=30), facts("1.1", 50, downloaded=30.001)]
    assert set(going(Policy(days=30), versions)) == {"1.1"}


def test_one_day_reads_well() -> None:
    versions = [facts("1.0", 3), facts("1.1", 0.5)]
    decisions = by_version(Policy(days=1), versions)
    assert decisions["1.0"].reason.endswith("more than 1 day ago")
    assert decisions["1.1"].reason.endswith("within the last day")


def test_both_conditions_must_agree() -> None:
    versions = [
        facts("1.0", 400, downloaded=200),  # old and unused: goes
        facts("1.1", 400, downloaded=2),  # old but used: stays
        facts("1.2", 300),  # old, never downloaded, added long ago: goes
        facts("2.0", 300, downloaded=100),  # newest but unused: stays (one of the 2 newest)
        facts("2.1", 1),  # newest and new
    ]
    policy = Policy(max_versions=2, days=30)
    assert going(policy, versions) == {
        "1.2": "older than the 2 newest versions; "
        f"never downloaded; added {ago(300):%Y-%m-%d}, more than 30 days ago",
        "1.0": "older than the 2 newest versions; "
        f"last downloaded {ago(200):%Y-%m-%d}, more than 30 days ago",
    }
    decisions = by_version(policy, versions)
    assert decisions["1.1"].reason == f"last downloaded {ago(2):%Y-%m-%d}, within the last 30 days"
    assert decisions["2.0"].reason == "one of the 2 newest versions"
    assert decisions["2.1"].reason == (
        f"one of the 2 newest versions; never downloaded; added {ago(1):%Y-%m-%d}, "
        "within the last 30 days"
    )


def test_promoted_versions_always_stay_and_count_toward_n() -> None:
    versions = [
        facts("1.0", 400, views=("release",)),
        facts("1.1", 300, views=("prerelease", "release")),
        facts("1.2", 200),
        facts("2.0", 100),
    ]
    for policy in (Policy(max_versions=1), Policy(days=30), Policy(max_versions=1, days=30)):
        decisions = by_version(policy, versions)
        assert decisions["1.0"] == Decision("1.0", False, "promoted to release")
        assert decisions["1.1"] == Decision("1.1", False, "promoted to prerelease, release")
        assert decisions["1.2"].goes
    # 2.0 is the newest: one of the 1 newest, though unused for 100 days.
    assert not by_version(Policy(max_versions=1, days=30), versions)["2.0"].goes
    assert by_version(Policy(days=30), versions)["2.0"].goes


def test_equal_versions_are_ordered_by_when_they_were_added() -> None:
    versions = [facts("1.0", 10), facts("1.0.0", 5)]
    assert set(going(Policy(max_versions=1), versions)) == {"1.0"}


def test_nothing_to_decide() -> None:
    assert decide(Policy(max_versions=1, days=1), [], NOW) == []


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        (Policy(max_versions=0), "max_versions must be between 1"),
        (Policy(max_versions=-3), "not -3"),
        (Policy(days=0), "days must be between 1"),
        (Policy(max_versions=2, days=10**9), "days must be between 1 and 36500"),
    ],
)
def test_policies_out_of_range_are_refused(policy: Policy, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        check_policy(policy)


def test_policies_in_range_pass() -> None:
    for policy in (Policy(), Policy(max_versions=1), Policy(days=1), Policy(3, 30)):
        assert check_policy(policy) == policy


def test_describe() -> None:
    assert Policy().describe() == "no retention policy"
    assert Policy(3, 30).describe() == (
        "keep at most 3 versions per package and keep versions downloaded within 30 days"
    )
    assert not Policy().configured
    assert Policy(days=2).configured
