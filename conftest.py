"""Repository-root pytest configuration, mainly for nbval.

`make test` runs ``pytest tests book --nbval-lax --nbval-current-env
--nbval-sanitize-with book/sanitize.cfg``: every chapter in book/ is executed
in this environment; in lax mode only cells tagged ``nbval-check-output``
have their output compared, and the hidden ``remove-cell`` assertion cells
fail the run if a chapter's key result regresses.
"""
from __future__ import annotations

import os

# Never collect the built site, the venv or data.
collect_ignore = ["_build", ".venv", "data", "bench", "logs"]
collect_ignore_glob = ["*/.ipynb_checkpoints/*", "_build/*"]

# Chapters run headless, on the CPU.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("DEMO_THREADS", "1")  # small torch ops stall with 2 threads on a busy 2-core box
