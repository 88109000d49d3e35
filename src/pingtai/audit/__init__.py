"""Append-only, hash-chained audit log of every change, submission, approval, import, export and login."""
