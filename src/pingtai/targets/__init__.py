"""The plan's numeric targets (丽政办发〔2021〕46号 §二(二), §三) and progress towards them.

Pure Python: the web pages, CLI and reports pass in yearly series and get assessments back.
"""

from pingtai.targets.plan import (
    DEFAULT_FILE,
    StatusRules,
    Target,
    TargetPlan,
    load_targets,
    parse_targets,
)
from pingtai.targets.progress import Assessment, assess, compound_rate

__all__ = [
    "DEFAULT_FILE",
    "Assessment",
    "StatusRules",
    "Target",
    "TargetPlan",
    "assess",
    "compound_rate",
    "load_targets",
    "parse_targets",
]
