"""Regenerate data/peaks/{MAFK,POU5F1}.fa.gz from the janggu 0.10.2 wheel.

The peaks are human ENCODE ChIP-seq peaks, 200 bp each, shipped as test
resources of the janggu package (MIT licence): ``sample2.fa`` +
``sample2_test.fa`` are MafK peaks, ``sample.fa`` + ``sample_test.fa`` are
Oct4 (POU5F1) peaks.  janggu is not a dependency: only its wheel is
downloaded and opened as a zip file::

    pip download janggu==0.10.2 --no-deps -d /tmp/janggu
    python data/scripts/make_peaks.py /tmp/janggu/janggu-0.10.2-py2.py3-none-any.whl

Processing: records of both files are concatenated (the janggu train/test
division is not used: demolib splits by seed), upper-cased, wrapped at 80
columns and gzip-compressed with a fixed timestamp so the output is
byte-for-byte reproducible.  The header keeps the genomic coordinates and
names the file the record came from.
"""
from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

from demolib.data import read_fasta
from demolib.utils import atomic_write

OUT = Path(__file__).resolve().parents[1] / "peaks"
SOURCES = {
    "MAFK": ["sample2.fa", "sample2_test.fa"],
    "POU5F1": ["sample.fa", "sample_test.fa"],
}


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf, __import__("tempfile").TemporaryDirectory() as tmp:
        for tf, files in SOURCES.items():
            lines = []
            for name in files:
                p = Path(tmp) / name
                p.write_bytes(zf.read(f"janggu/resources/{name}"))
                for r in read_fasta(p):
                    lines.append(f">{r.id} janggu-0.10.2/{name}")
                    lines.extend(r.seq[i : i + 80] for i in range(0, len(r.seq), 80))
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
                gz.write(("\n".join(lines) + "\n").encode())
            atomic_write(OUT / f"{tf}.fa.gz", buf.getvalue())
            print(f"{tf}: {sum(1 for l in lines if l.startswith('>'))} peaks -> {OUT / f'{tf}.fa.gz'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python data/scripts/make_peaks.py JANGGU_WHEEL")
    main(sys.argv[1])
