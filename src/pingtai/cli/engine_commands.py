"""Engine sub-commands (methods, evaluate): no Django needed."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the engine's sub-commands to the ``pingtai`` parser."""
