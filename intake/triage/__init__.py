"""Officers' triage of feedback that matched no customer: the page, its reads and services."""
