"""Tasks and drawing in the chat (/newtask, /tasks, a task's page, its draw)."""

from __future__ import annotations

from handlers.tasks import plan_file
from handlers.tasks.chat import register

# /planfile waits for a file of its own: registered before the registers' uploads.
register_uploads = plan_file.register

__all__ = ["register", "register_uploads"]
