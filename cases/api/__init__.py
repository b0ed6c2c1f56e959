"""The cases API under /api/v1/: the case list, claim-next, case detail, notes, decisions."""
