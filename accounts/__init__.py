"""Staff users, roles (groups with permissions), sign-in and the request's acting user."""
