"""Cockpit (驾驶舱) and map for leaders and every signed-in role; all assets served locally."""
