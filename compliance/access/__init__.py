"""The personal-data access log as the auditor reads it: filters, pages, unusual volumes."""
