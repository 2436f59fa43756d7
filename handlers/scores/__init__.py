"""/score and /judge: the evaluation in the chat (chat.py, views.py, chart.py)."""

from handlers.scores.chat import register

__all__ = ["register"]
