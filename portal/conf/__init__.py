"""Larger blocks of settings, kept out of ``portal/settings.py`` so it stays readable.

Each module here holds plain values for one topic; ``portal.settings`` imports them by name,
so every setting is still found in (or named from) that one file.
"""
