"""Append-only audit log, personal-data helpers (masking, encryption, keyed hashes)."""
