"""Shipped data: the Lishui default dataset, reference tables and their generators."""
