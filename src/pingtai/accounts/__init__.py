"""Users, roles and platform/department scope."""
