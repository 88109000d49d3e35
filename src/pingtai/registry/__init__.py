"""Platform registry (mission module 1): counties, platforms, zones, integration history, chains, enterprises."""
