"""Reminders (bot/domain/reminders/ has the rules): computed from the database, written to
the outbox with a key per subject and period."""
