"""Figures the pages aggregate, kept per year, platform and county (docs/dashboard.md, Summaries)."""
