"""Evaluation engine: pure data-driven scoring, classes, ranks, explanations and robustness.

Framework-free (numpy + polars; never Django). The web layer, the CLI and the benchmarks call:

- ``load_method(id_or_path) -> Method`` and ``list_methods() -> list[Method]``
- ``evaluate(method, frame, *, robustness_draws=0, seed=0, progress=None, regrades=None)
  -> EvaluationResult``
"""

from pingtai.engine.inputs import InputError
from pingtai.engine.methods import Method, MethodError, list_methods, load_method
from pingtai.engine.result import EvaluationResult, Regrade
from pingtai.engine.run import evaluate

__all__ = [
    "EvaluationResult",
    "InputError",
    "Method",
    "MethodError",
    "Regrade",
    "evaluate",
    "list_methods",
    "load_method",
]
