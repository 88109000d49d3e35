"""What an objection is, wherever it is raised: the firm's 异议 to an evaluation run
(pingtai.firm) and a platform's 异议 to a league result (pingtai.league) share one life cycle
(lifecycle.py) and one set of who/when/why field groups (records.py) — docs/objections.md."""
