"""免申即享 delivery: entitlement lists issued per receiving agency and tracked until executed
(docs/industry-carbon.md, "Entitlement lists")."""
