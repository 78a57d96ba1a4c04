"""The command centre in the admin: for fixing data, not for running operations."""
