"""Customers (the data subjects): their records, features and search; reveal of their personal
fields and the access log."""
