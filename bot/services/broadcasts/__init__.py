"""Office broadcasts: an announcement to liaisons, inspectors, everyone or chosen units,
delivered through the outbox, with its progress and delivery report
(docs/architecture.md "Broadcasts")."""
