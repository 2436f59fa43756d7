"""Tasks and drawing in the chat (/newtask, /tasks, a task's page, its draw)."""

from __future__ import annotations

from handlers.tasks.chat import register

__all__ = ["register"]
