"""Run a function in a child process that may fail without taking the caller down.

A parser handed a hostile file can do what no ``except`` catches: python-calamine aborts
the process (SIGABRT) when an allocation fails, and a file can keep it busy for minutes.
``run_isolated`` runs a picklable callable in a fresh child (multiprocessing's "forkserver"
context where there is one, else "spawn": never a fork of a process with threads and open
database connections), with an address-space limit (RLIMIT_AS) and a timeout, and returns
its result or raises its exception. The parent survives a crash, a kill or a timeout and
serves the next call.

``progress``: a callable in the caller that the child's function reaches through a
``progress=`` keyword argument of its own — what it is called with in the child (rows read
so far, say) crosses over the result's pipe and is called in the caller, in the thread
that waits for the child, while the child works.

The failures of the child itself carry a reason code and parameters, as a refused upload
does (sentences in bot.domain.reasons): ``MemoryBudgetExceeded``, ``ReadTimedOut``,
``ReaderCrashed``.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import pickle
import resource
import signal
import tempfile
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar

T = TypeVar("T")

MEMORY_BUDGET: Final = "file.memory_budget"
TIMED_OUT: Final = "file.read_timeout"
CRASHED: Final = "file.reader_crashed"

# The child's exit status when Python itself ran out of memory (MemoryError), which it can
# report; calamine's Rust allocator aborts instead (SIGABRT) and says so on stderr.
_OUT_OF_MEMORY_EXIT: Final = 85
_RUST_OUT_OF_MEMORY: Final = b"memory allocation of"
_STDERR_TAIL: Final = 4096
_TIMED_OUT: Final = ("timeout", None)
# What the child sends before its outcome while it works (see Reporter).
_PROGRESS: Final = "progress"


class IsolatedFailure(Exception):  # noqa: N818 - a refusal, named for what happened
    """The child could not finish; ``reason`` is a reason code, ``params`` its values."""

    def __init__(self, reason: str, params: Mapping[str, str], detail: str = "") -> None:
        self.reason = reason
        self.params: Mapping[str, str] = MappingProxyType(dict(params))
        self.detail = detail  # for the log: the child's last words on stderr
        super().__init__(f"{reason} {dict(params)}" + (f": {detail}" if detail else ""))


class MemoryBudgetExceeded(IsolatedFailure):
    pass


class ReadTimedOut(IsolatedFailure):
    pass


class ReaderCrashed(IsolatedFailure):
    pass


class RemoteError(Exception):
    """The child's exception, when it could not be pickled: its type and message."""


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def preload(*modules: str) -> None:
    """Modules the fork server imports once, so that each child starts with them loaded
    instead of importing SQLAlchemy and the rest anew (seconds per upload on a small
    machine). Call before the first ``run_isolated``; no effect without a fork server."""
    context = _context()
    if isinstance(context, multiprocessing.context.ForkServerContext):
        context.set_forkserver_preload(list(modules))


def run_isolated(
    function: Callable[..., T],
    *args: Any,
    memory_bytes: int,
    timeout: float,
    progress: Callable[..., object] | None = None,
    **kwargs: Any,
) -> T:
    """``function(*args, **kwargs)`` in a child limited to ``memory_bytes`` of address space
    and ``timeout`` seconds; its result, or its exception raised here, or an
    ``IsolatedFailure``. ``function`` and the arguments must be picklable (a module-level
    function). ``progress``: ``function`` is also given ``progress=`` (a ``Reporter``),
    and whatever it reports is passed to this callable here while the child works."""
    context = _context()
    with tempfile.TemporaryDirectory(prefix="dsr-isolated-") as directory:
        stderr_path = Path(directory) / "stderr"
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(  # type: ignore[attr-defined]
            target=_child,
            args=(
                sender,
                str(stderr_path),
                memory_bytes,
                function,
                args,
                kwargs,
                progress is not None,
            ),
            name="dsr-isolated",
            daemon=True,
        )
        child.start()
        sender.close()
        try:
            outcome = _wait(child, receiver, timeout, progress)
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
        if outcome == _TIMED_OUT:
            raise ReadTimedOut(TIMED_OUT, {"seconds": f"{timeout:g}"})
        if outcome is None:
            raise _failure(child.exitcode, stderr_path, memory_bytes)
    status, value = outcome
    if status == "ok":
        return value  # type: ignore[no-any-return]
    raise value


def _wait(
    child: Any,
    receiver: Connection,
    timeout: float,
    progress: Callable[..., object] | None,
) -> tuple[str, Any] | None:
    """The child's ("ok", result) or ("raise", exception); ``_TIMED_OUT`` (it is killed);
    None if it died. What it reports meanwhile goes to ``progress``."""
    deadline = time.monotonic() + timeout
    try:
        while receiver.poll(max(deadline - time.monotonic(), 0.0)):
            outcome: tuple[str, Any] = receiver.recv()
            if outcome[0] != _PROGRESS:
                return outcome
            if progress is not None:
                progress(*outcome[1])
            if time.monotonic() >= deadline:  # a child that only ever reports
                break
    except (EOFError, OSError):  # it died before or while sending
        return None
    child.kill()
    return _TIMED_OUT


class Reporter:
    """In the child: sends what it is called with to the caller's ``progress``."""

    def __init__(self, sender: Connection) -> None:
        self._sender = sender

    def __call__(self, *values: Any) -> None:
        self._sender.send_bytes(pickle.dumps((_PROGRESS, values), pickle.HIGHEST_PROTOCOL))


def _failure(exitcode: int | None, stderr_path: Path, memory_bytes: int) -> IsolatedFailure:
    said = _last_words(stderr_path)
    # Rust writes its allocation failure first, then (sometimes) a backtrace.
    lines = [line for line in said.decode("utf-8", "replace").splitlines() if line.strip()]
    detail = next((line for line in lines if "memory allocation of" in line), "")
    detail = detail or (lines[-1] if lines else "")
    megabytes = {"megabytes": str(memory_bytes // 2**20)}
    if exitcode == _OUT_OF_MEMORY_EXIT or _RUST_OUT_OF_MEMORY in said:
        return MemoryBudgetExceeded(MEMORY_BUDGET, megabytes, detail)
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return ReaderCrashed(CRASHED, {"detail": f"signal {-exitcode}, {name}"}, detail)
    return ReaderCrashed(CRASHED, {"detail": f"exit status {exitcode}"}, detail)


def _last_words(stderr_path: Path) -> bytes:
    """The beginning and the end of what the child wrote on stderr."""
    try:
        with stderr_path.open("rb") as stream:
            head = stream.read(_STDERR_TAIL)
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(len(head), size - _STDERR_TAIL))
            return head + b"\n" + stream.read()
    except OSError:
        return b""


def _out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    text = str(exc)
    return "failed to map segment" in text or "Cannot allocate memory" in text


def _child(
    sender: Connection,
    stderr_path: str,
    memory_bytes: int,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    reports: bool = False,
) -> None:
    """In the child: stderr to a file the parent reads, the memory limit, the call."""
    if reports:
        kwargs = {**kwargs, "progress": Reporter(sender)}
    descriptor = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        outcome: tuple[str, Any] = ("ok", function(*args, **kwargs))
    except MemoryError:
        os._exit(_OUT_OF_MEMORY_EXIT)
    except Exception as exc:
        # A library that cannot be mapped, or a buffer the kernel refuses (ENOMEM), under
        # the address-space limit: the memory budget too, met elsewhere than in an
        # allocation Python reports as MemoryError.
        if _out_of_memory(exc):
            os._exit(_OUT_OF_MEMORY_EXIT)
        outcome = ("raise", exc)
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception (or a result) that cannot travel
        error = outcome[1] if outcome[0] == "raise" else exc
        payload = pickle.dumps(("raise", RemoteError(f"{type(error).__name__}: {error}")))
    with contextlib.suppress(BrokenPipeError):
        sender.send_bytes(payload)
    sender.close()
