"""Pages: the thin HTML layer over registry selectors and services."""
