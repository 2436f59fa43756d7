"""Invitations: joining by link, inviting liaisons and inspectors, pending invitations."""

from handlers.invitations.chat import join, policy, register

__all__ = ["join", "policy", "register"]
