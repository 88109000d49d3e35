"""Integration planning (plan §四(二)(五)(六)): 并提撤转, merger simulation, chain gaps, benefit sharing."""
