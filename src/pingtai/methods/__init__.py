"""Shipped evaluation method files (TOML) and the published method JSON Schema."""
