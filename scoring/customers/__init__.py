"""Customers (the data subjects): reveal of their personal fields and the access log."""
