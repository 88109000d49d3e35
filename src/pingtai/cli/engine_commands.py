"""Engine sub-commands (methods, evaluate): no Django needed.

NOTE TO THE ENGINE ENGINEER (delete this note): the full text of issue 3, which your
brief omitted by mistake, is in /work/ISSUE-3-engine.txt (also: `issues show 3`).
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the engine's sub-commands to the ``pingtai`` parser."""
