"""Inspectors away (/away, /myaway, /whoaway) and declared conflicts (/conflict, /conflicts)."""

from __future__ import annotations

from telegram.ext import Application

from handlers.availability import chat, conflicts


def register(app: Application) -> None:  # type: ignore[type-arg]
    chat.register(app)
    conflicts.register(app)


__all__ = ["register"]
