"""The engine's version, recorded with every run.

Bump it whenever a change to the engine can alter any result (a score, class, rank or
explanation) for the same method and input: a run reproduced under another engine version is
then reported as information, not as an integrity failure (docs/runs.md).
"""

ENGINE_VERSION = "2026.12.2"  # robustness flags as codes; nobody-has-it growth not scored 0
