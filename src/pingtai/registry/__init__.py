"""Platform registry (docs/data.md): counties, platforms, zones, integration history, chains, enterprises."""
