"""Shared fixtures: tiny data and models so the unit suite stays fast."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def tiny_synthetic():
    """Synthetic MAFK set, 1,000 sequences of 101 bp (planted sites known)."""
    from demolib.data import make_synthetic

    return make_synthetic("MAFK", n=1000, seed=1)


@pytest.fixture()
def fasta_file(tmp_path):
    """Write a FASTA file and return its path: fasta_file({"id": "ACGT"}, name=...)."""

    def write(records: dict[str, str], name: str = "peaks.fa", width: int = 60):
        lines = []
        for rid, seq in records.items():
            lines.append(f">{rid}")
            lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
        p = tmp_path / name
        p.write_text("\n".join(lines) + "\n")
        return p

    return write
