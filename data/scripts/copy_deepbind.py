"""Copy DeepBind's ENCODE datasets into data/deepbind/ and check them.

    python data/scripts/copy_deepbind.py [SOURCE_DIR]

SOURCE_DIR (default ``../shared/data/deepbind_encode`` beside the repository)
holds DeepBind's files under their original names (TF, cell line, antibody,
lab); they are copied byte for byte to ``data/deepbind/{TF}_AC.seq.gz`` and
``{TF}_B.seq.gz``, and each file's SHA-256 must equal the one recorded here
(and in data/README.md), so a changed or truncated source is refused.  The
copied files are then read with :func:`demolib.data.read_deepbind` to check
the format (101 bp, AC all bound, B 500 bound + 500 unbound).
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from demolib.data import DEEPBIND_DIR, read_deepbind
from demolib.utils import atomic_write

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "deepbind_encode"

#: TF -> (DeepBind file stem, SHA-256 of *_AC.seq.gz, SHA-256 of *_B.seq.gz)
SOURCES = {
    "ARID3A": ("ARID3A_K562_ARID3A_(sc-8821)_Stanford",
               "928d75f354dbadbb4f083cb298e85df6fa11f001afacd9d577c0d9c9ce831712",
               "aad6ee8ac42ea66791897a447ad01252f26955d2dd8b5a7865f2c233db807c09"),
    "ELK1": ("ELK1_GM12878_ELK1_(1277-1)_Stanford",
             "3e44bb851d81e1ea9a9f0c3a600574e4151bff8d510c8fc5d21e87b18715075f",
             "5eec8cc3d433dfcadb5cf1d23919e5ee6896e6479af52f756adcbd461fe6b805"),
    "FOXA1": ("FOXA1_HepG2_FOXA1_(SC-101058)_HudsonAlpha",
              "d7444da917c588312ef6231785b8ef508cdbeb6f2550798fb0f101876b47b5bd",
              "4634d4a688627cb2009e8598e7ad67687d37d14205daaedb8e96f6705d9e530c"),
    "GABPA": ("GABPA_GM12878_GABP_HudsonAlpha",
              "627505bae74920366a5b9b5125e7972b073f611f0bdb258c9d32b9c33bb7529b",
              "b3f4da33cd690a3d72bb0033e3d4b5e9eec25405669fd521938b3c7e50ffbe15"),
    "MYC": ("MYC_H1-hESC_c-Myc_Stanford",
            "a12d118206d0f4f0d41712313ebc95606fffaee5249709c5f48c39dfdd980cde",
            "5d5d44a679c2ca2b8efa2e6d183172c1d1d4519b0325c4f56c9ede0ab2bc453d"),
    "SP1": ("SP1_GM12878_SP1_HudsonAlpha",
            "131c5c30e277ea7e283b374fd78c362ab6fd7f9b1222322df33cf8f048254cbe",
            "8ef012ed4a8818ebcb0c46f126b0523825170e6d6f2af9f876b6beb4a7f36594"),
    "USF1": ("USF1_HepG2_USF-1_HudsonAlpha",
             "eb8fb406abe10b62075670c6a04b68757e46985fdb8efb386586e6974ef020a0",
             "999b5f5d920c73f1e6229f2a6704d8fbf7e8c73e2359686402cbecfe93d39696"),
    "ZBTB7A": ("ZBTB7A_HepG2_ZBTB7A_(SC-34508)_HudsonAlpha",
               "b60c7d2de6a45864c11c17bbe2d1820fb8a004f973f9fd6a4d5287d012500d43",
               "998ab846950b28f61a20b28dc6fe86c9d143c847965f4edced9a953b7e7fe9a8"),
}


def main(source: Path) -> int:
    for tf, (stem, *hashes) in SOURCES.items():
        for part, want in zip(("AC", "B"), hashes):
            src = source / f"{stem}_{part}.seq.gz"
            blob = src.read_bytes()
            got = hashlib.sha256(blob).hexdigest()
            if got != want:
                print(f"{src}: SHA-256 {got} differs from the recorded {want}; not copied", file=sys.stderr)
                return 2
            dst = atomic_write(DEEPBIND_DIR / f"{tf}_{part}.seq.gz", blob)
            seqs, labels, _ = read_deepbind(dst)
            assert {len(s) for s in seqs} == {101}, f"{dst}: not all 101 bp"
            if part == "AC":
                assert labels.min() == 1, f"{dst}: training file has unbound rows"
            else:
                assert np.bincount(labels).tolist() == [500, 500], f"{dst}: expected 500 + 500"
            print(f"{dst.relative_to(ROOT)}  {len(seqs):>6} rows  sha256 {got[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE))
