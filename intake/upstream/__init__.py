"""Upstream systems' signals (a payment declined, an activation failed, ...) that open or feed
cases."""
