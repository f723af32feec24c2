"""``python -m demolib.motifs --warm-up``."""
from . import _main

raise SystemExit(_main())
