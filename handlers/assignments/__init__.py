"""An inspector's assignments and recusal in the chat: /mytasks, acknowledging a notice,
asking for recusal, and the lead unit's liaison or the office deciding it."""

from handlers.assignments.chat import register

__all__ = ["register"]
