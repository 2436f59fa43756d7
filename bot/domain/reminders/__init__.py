"""Reminders as rules over values: when each one is due (docs/architecture.md §3)."""
