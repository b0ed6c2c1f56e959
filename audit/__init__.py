"""The audit log: entries written in the caller's transaction, the actors who write them,
``record_change`` for history and audit in one call, and verification. Beneath every app."""
