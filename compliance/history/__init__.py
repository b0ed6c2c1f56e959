"""The auditor's history browsing: every version of a record with its diff, actor and reason."""
