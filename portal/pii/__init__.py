"""Personal information: encryption at rest, keyed hashes, masking and the registry of
where each app keeps it. Every app uses these; they own no tables."""
