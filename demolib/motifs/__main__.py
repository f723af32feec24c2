"""``python -m demolib.motifs --warm-up``: compile (or load) memelite's kernels (the Makefile calls it)."""
from .warmup import _main

raise SystemExit(_main())
