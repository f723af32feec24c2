"""Warm-up: memelite's numba compilation at a time of your choosing.

See :mod:`demolib.motifs.tomtom` for what compiles, how long it takes and
where numba caches it.  ``python -m demolib.motifs --warm-up`` runs
:func:`warm_up` from the shell (the Makefile does).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..data import load_jaspar, one_hot
from .tomtom import tomtom

__all__ = ["warm_up"]


def warm_up(*, fimo: bool = False) -> dict[str, float]:
    """Trigger memelite's numba compilation (or load it from numba's cache).

    Runs one tiny :func:`demolib.motifs.tomtom` against the JASPAR database, with the
    argument types every later call uses, and optionally a memelite ``fimo``
    call (this package does not use memelite's fimo:
    :func:`demolib.motifs.find_sites` is numpy).  The first call in an environment compiles (about 70 s for
    tomtom, 16 s for fimo on 2 cores); later processes load the cached code
    in about 0.1 s.

    Returns
    -------
    dict
        Seconds taken: ``{"tomtom": t}`` and ``"fimo"`` if requested.
    """
    t0 = time.perf_counter()
    tomtom(load_jaspar()[0].pwm, top=1)
    out = {"tomtom": time.perf_counter() - t0}
    if fimo:
        import memelite

        t0 = time.perf_counter()
        m = load_jaspar()[0]
        X = one_hot("ACGT" * 10)
        memelite.fimo({m.name: np.ascontiguousarray(m.pwm.T)}, X)
        out["fimo"] = time.perf_counter() - t0
    return out


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m demolib.motifs --warm-up``: compile (or load) memelite's kernels."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m demolib.motifs", description=_main.__doc__)
    ap.add_argument("--warm-up", action="store_true", help="run warm_up() and print the seconds it took")
    ap.add_argument("--fimo", action="store_true", help="also compile memelite's fimo (not used by demolib)")
    args = ap.parse_args(argv)
    if not args.warm_up:
        ap.print_help()
        return 0
    print(json.dumps({k: round(v, 3) for k, v in warm_up(fimo=args.fimo).items()}))
    return 0
