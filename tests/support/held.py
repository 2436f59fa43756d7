"""A function for storage.isolation's child that holds the child at a barrier once it has
reported its first rows read: a test then knows the child is still working while it looks
at what the bot does meanwhile. Small imports only (the child imports this module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


def held_after_first_rows(
    release: Barrier,
    function: Callable[..., Any],
    *args: Any,
    progress: Callable[[int, int | None], None],
    **kwargs: Any,
) -> Any:
    """``function(*args, progress=..., **kwargs)``, its first report of rows read passed
    on and then held until ``release`` (a multiprocessing Event) is set."""
    held = False

    def report(rows: int, total: int | None) -> None:
        nonlocal held
        progress(rows, total)
        if rows and not held:
            held = True
            if not release.wait(120):
                raise TimeoutError("the test never released the child")

    return function(*args, progress=report, **kwargs)


def count_to(rows: int, *, progress: Callable[[int, int | None], None]) -> int:
    """Reports 1, 2, … ``rows`` rows read of ``rows``; returns ``rows``."""
    for done in range(1, rows + 1):
        progress(done, rows)
    return rows


def report_forever(*, progress: Callable[[int, int | None], None]) -> None:
    """A child that never finishes and never stops reporting."""
    done = 0
    while True:
        done += 1
        progress(done, None)
