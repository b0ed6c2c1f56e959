"""Decisions on a case with four-eyes approval: proposing, approving, rejecting, applying."""
