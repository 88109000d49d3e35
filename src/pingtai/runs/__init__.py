"""Frozen runs: one kernel for 亩均 evaluation runs, league runs and allocation runs.

A run freezes its inputs (a stored snapshot) and its result (a stored file) when it is made,
is published at most once per key, is replaced only by an explicit supersede with a reason,
and can be reproduced at any time (docs/runs.md). ``models.FrozenRun`` is the abstract base,
``kernel`` the one module for publish/supersede/reproduce, ``selectors.current_published`` the
one answer to "which result counts".
"""
