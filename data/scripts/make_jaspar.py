"""Write the JASPAR 2024 CORE vertebrates non-redundant snapshot in MEME format.

Needs the data-preparation extra (``pip install -e .[prep]``: pyjaspar, which
ships the JASPAR 2024 release as a local SQLite file).  Run from the
repository root::

    python data/scripts/make_jaspar.py

"Non-redundant" is JASPAR's term for the latest version of each matrix
(``all_versions=False``).  Also writes a TSV with each matrix's TF class and
family, used to decide whether a motif matches a TF's family.
"""
from __future__ import annotations

from pathlib import Path

from pyjaspar import jaspardb

from demolib.utils import atomic_write

OUT = Path(__file__).resolve().parents[1] / "motifs"
MEME = OUT / "JASPAR2024_CORE_vertebrates_non-redundant.meme"
FAMILIES = OUT / "JASPAR2024_CORE_vertebrates_families.tsv"


def main() -> None:
    db = jaspardb(release="JASPAR2024")
    motifs = db.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=False)
    motifs = sorted(motifs, key=lambda m: m.matrix_id)
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
             "Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    fam = ["id\tname\tclass\tfamily"]
    for m in motifs:
        counts = [[float(m.counts[b][i]) for b in "ACGT"] for i in range(m.length)]
        nsites = int(round(sum(counts[0])))
        lines.append(f"MOTIF {m.matrix_id} {m.name}")
        lines.append(f"letter-probability matrix: alength= 4 w= {m.length} nsites= {nsites} E= 0")
        for row in counts:
            tot = sum(row)
            lines.append(" ".join(f"{x / tot:.6f}" for x in row))
        lines.append("")
        fam.append(f"{m.matrix_id}\t{m.name}\t{'; '.join(m.tf_class)}\t{'; '.join(m.tf_family)}")
    OUT.mkdir(parents=True, exist_ok=True)
    atomic_write(MEME, "\n".join(lines))
    atomic_write(FAMILIES, "\n".join(fam) + "\n")
    print(f"wrote {len(motifs)} motifs to {MEME}")


if __name__ == "__main__":
    main()
