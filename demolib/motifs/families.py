"""JASPAR TF families, and whether a Tomtom result recovers a TF's known motif.

The family table (``data/motifs/JASPAR2024_CORE_vertebrates_families.tsv``,
written by ``data/scripts/make_jaspar.py``) gives :func:`family_of`;
:func:`matches_known` is the decision rule of Table 3.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from ..data import DATA_DIR

if TYPE_CHECKING:  # pragma: no cover
    from .tomtom import Match

__all__ = ["FAMILIES_FILE", "family_of", "matches_known", "match_table"]

FAMILIES_FILE = DATA_DIR / "motifs" / "JASPAR2024_CORE_vertebrates_families.tsv"
_ALIASES = {"OCT4": "POU5F1", "OCT-4": "POU5F1"}


@lru_cache(maxsize=1)
def _families() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, str]]:
    """(id -> families, TF name (upper) -> families, id -> family text) from the TSV.

    A heterodimer row ``A::B`` with families ``fa; fb`` gives ``A`` family
    ``fa`` and ``B`` family ``fb``.
    """
    by_id: dict[str, frozenset[str]] = {}
    by_name: dict[str, set[str]] = {}
    text: dict[str, str] = {}
    with open(FAMILIES_FILE, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            fams = [f.strip() for f in row["family"].split(";")]
            by_id[row["id"]] = frozenset(f for f in fams if f)
            text[row["id"]] = "; ".join(f for f in fams if f)
            parts = row["name"].split("::")
            for i, part in enumerate(parts):
                s = by_name.setdefault(part.upper(), set())
                if len(parts) == 1:
                    s.update(f for f in fams if f)
                elif len(fams) == len(parts) and fams[i]:
                    s.add(fams[i])
    return by_id, {n: frozenset(s) for n, s in by_name.items()}, text


def family_of(tf_or_id: str) -> set[str]:
    """JASPAR families of a TF name or matrix id.

    A name (case-insensitive; ``"Oct4"`` is ``"POU5F1"``) gets the families
    of its own matrices and, for a name that occurs in heterodimers
    (``"Bach1::Mafk"``), the family listed for that component.  An id
    (``"MA0496.4"`` or ``"MA0496"``) gets that matrix's families, all
    components for a heterodimer.

    Returns
    -------
    set of str
        e.g. ``{"Maf-related"}`` for MAFK; empty for a JASPAR TF without a
        family annotation.

    Raises
    ------
    ValueError
        For a name or id not in the JASPAR snapshot.
    """
    by_id, by_name, _ = _families()
    key = tf_or_id.strip()
    if key in by_id:
        return set(by_id[key])
    base = {i.split(".")[0]: i for i in by_id}
    if key.upper() in base:
        return set(by_id[base[key.upper()]])
    name = _ALIASES.get(key.upper(), key.upper())
    if name in by_name:
        return set(by_name[name])
    raise ValueError(f"{tf_or_id!r} is neither a TF name nor a matrix id of JASPAR 2024 CORE vertebrates")


def _name_parts(name: str) -> set[str]:
    return {_ALIASES.get(p.upper(), p.upper()) for p in name.split("::")}


def matches_known(matches: Sequence[Match], tf: str, *, q: float = 0.05, top: int = 5) -> bool:
    """Does a Tomtom result recover the TF's known motif?

    Decision rule: True if any of the first ``top`` matches (by p-value) has
    q-value below ``q`` and either

    * is one of the TF's own JASPAR matrices: its name, or a component of a
      heterodimer name (``"Bach1::Mafk"`` for MAFK), equals ``tf``
      (case-insensitive, ``"Oct4"`` = ``"POU5F1"``) or its id equals ``tf``;
    * or shares a JASPAR family with the TF (:func:`family_of`; e.g. any
      ``"Maf-related"`` matrix for MAFK, ``"POU domain factors"`` for
      POU5F1).  Families are broad for some TFs (``"More than 3 adjacent zinc
      fingers"``), which makes the rule lenient there.

    Parameters
    ----------
    matches : list of Match
        As returned by :func:`tomtom` (sorted by p).
    tf : str
        TF name or JASPAR id.
    q : float
        q-value cutoff (strict).
    top : int
        How many of the best matches to look at.
    """
    fams = family_of(tf)
    key = _ALIASES.get(tf.strip().upper(), tf.strip().upper())
    for m in list(matches)[:top]:
        if not m.q < q:
            continue
        if key in _name_parts(m.name) or m.id.upper() == key or m.id.split(".")[0].upper() == key:
            return True
        if fams & m.families:
            return True
    return False


def match_table(matches: Sequence[Match], tf: str):
    """Tomtom matches as a table (chapter 09): one row per match, ranked from 1, with the
    JASPAR id, name, family, p, q, strand and whether the match rule
    (:func:`matches_known`) counts that match alone for ``tf``.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    return pd.DataFrame([{
        "JASPAR": m.id, "name": m.name, "family": m.family,
        "p": f"{m.p:.1e}", "q": f"{m.q:.1e}", "strand": "+" if m.strand > 0 else "-",
        f"counts for {tf}": matches_known([m], tf),
    } for m in matches], index=pd.RangeIndex(1, len(matches) + 1, name="rank"))
