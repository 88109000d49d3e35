"""The one progress interface for long jobs (evaluation, robustness draws, loading the demo,
creating accounts, backups): the job calls ``progress(done, total, label)`` as it goes, with
``label`` a short Chinese description of the current step. The CLI prints it on the terminal;
the web and tests pass nothing."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]


def silent(done: int, total: int, label: str) -> None:
    """The progress of a job nobody watches."""
