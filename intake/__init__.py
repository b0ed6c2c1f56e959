"""What reaches the portal from outside: the public feedback form and its status lookup,
partner and upstream channels with their keys, signals, idempotency and rate limits."""
