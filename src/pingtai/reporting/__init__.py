"""Data reporting (数据直报): periods, requirements, uploads, versions and the review workflow."""
