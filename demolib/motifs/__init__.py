"""Motifs from the visualizations, and their comparison with JASPAR (being split by job)."""
from .windows import *  # noqa: F401,F403
from .windows import __all__, _main  # noqa: F401
