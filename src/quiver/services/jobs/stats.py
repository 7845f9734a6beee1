"""What this process's scheduled jobs did, counted in memory (for ``/metrics``).

Process-wide on purpose, like the jobs' log lines: each server process reports the
runs it made itself. Job and step names are fixed in code, so they make bounded labels.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class JobStats:
    """Runs by job name, failed steps by (job, step), and when each job last finished."""

    runs: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    last_finished: dict[str, float] = field(default_factory=dict)

    def record(self, job: str, failed_steps: Iterable[str] = (), at: float | None = None) -> None:
        """Count one finished run of ``job``; ``failed_steps`` are the steps that failed."""
        self.runs[job] += 1
        for step in failed_steps:
            self.failures[(job, step)] += 1
        self.last_finished[job] = time.time() if at is None else at


JOBS = JobStats()

__all__ = ["JOBS", "JobStats"]
