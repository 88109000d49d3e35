"""National standards pingtai validates against (pure Python, no Django)."""
