"""Signed exports of any filtered view (CSV or JSON, streamed, with a manifest)."""
