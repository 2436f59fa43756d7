"""What a service says when it refuses: a translatable sentence with named parameters.

Services stay Telegram- and locale-free; the handler or CLI renders ``message`` in the
reader's language (``t._(err.message, **err.params)``).
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal a person can act on. ``message`` is an msgid marked with N_."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class NotAllowedError(ServiceError):
    """The actor's roles do not cover this action (or this unit's data)."""
