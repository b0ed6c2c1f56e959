"""The public feedback form, its status lookup, and the officers' triage of feedback that
matched no customer."""
