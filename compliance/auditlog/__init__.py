"""The auditor's audit-log pages: the entries, their filters and the chain verification."""
