"""Member units: the list, and adding one (a persistent conversation)."""

from handlers.units.chat import register

__all__ = ["register"]
