"""Customers (the data subjects), their credit lines and blocks; scorecards and assessments."""
