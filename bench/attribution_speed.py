"""Timing of the registered attribution methods (demolib.attribution).

Measures, on the committed medium MAFK checkpoints (CNN, RNN, CNN-RNN):
  (a) every applicable registered method on one 101-bp sequence (the first
      MAFK test sequence), per model: the median of ``--repeats`` calls after
      one warm-up, its ratio to that model's saliency time, and the sum over
      all (model, method) pairs -- issue 10's target: under 0.5 s on 2 cores;
  (b) in-silico mutagenesis of 1,000 random 101-bp sequences (seeded) with the
      medium CNN: the default (receptive-field window) path, median of
      ``--ism-repeats``, and one run of the plain batched path for comparison
      -- target: under 60 s.
Methods run with their registered defaults.

Prints a JSON object and writes it to bench/results/attribution_speed.json.

    python bench/attribution_speed.py [--threads 2] [--repeats 5] [--ism-repeats 3] [--out PATH]

Wall-clock times on a shared machine are noisy: the load average at the
start and at the end is recorded with them.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demolib import attribution as A  # noqa: E402
from demolib.attribution.ism import ism  # noqa: E402
from demolib.data import load_dataset  # noqa: E402
from demolib.train import load_committed  # noqa: E402
from demolib.utils import atomic_write_json  # noqa: E402

ARCHS = ("cnn", "rnn", "cnn-rnn")


def _median(fn, repeats: int) -> float:
    """Median wall-clock time of ``repeats`` calls (seconds)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _onehot(n: int, length: int, seed: int) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(idx, 4).float().transpose(1, 2).contiguous().numpy()


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats per method; the median is kept (default 5)")
    ap.add_argument("--ism-repeats", type=int, default=3, help="timed repeats of the 1,000-sequence ISM (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "attribution_speed.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    r = max(1, args.repeats)
    result: dict = {
        "env": {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "loadavg_1min_at_start": _load(),
        },
        "command": "python bench/attribution_speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    t_total = time.perf_counter()

    # (a) every method, one sequence, three medium MAFK models
    x1 = load_dataset("MAFK").test.X[:1]
    per_model: dict = {}
    total = 0.0
    for arch in ARCHS:
        model = load_committed("MAFK", arch).model
        times = {}
        for name in A.methods_for(model):
            A.attribute(model, x1, name)  # warm-up
            times[name] = _median(lambda: A.attribute(model, x1, name), r)
        sal = times["saliency"]
        per_model[arch] = {name: {"median_s": round(t, 5), "x_saliency": round(t / sal, 1)}
                           for name, t in times.items()}
        per_model[arch]["all_methods_s"] = round(sum(times.values()), 4)
        total += sum(times.values())
    result["one_sequence"] = {"models": "MAFK medium (committed checkpoints)", "repeats": r, "per_model": per_model,
                              "total_all_models_all_methods_s": round(total, 4), "target_s": 0.5,
                              "meets_target": bool(total < 0.5)}

    # (b) ISM, 1,000 x 101 bp, medium CNN
    cnn = load_committed("MAFK", "cnn").model
    X = _onehot(1000, 101, seed=1)
    ism(cnn, X[:10])  # warm-up
    t_window = _median(lambda: ism(cnn, X, implementation="window", progress=False), max(1, args.ism_repeats))
    t = time.perf_counter()
    ism(cnn, X, implementation="batched", progress=False)
    t_batched = time.perf_counter() - t
    result["ism_cnn_medium_1000x101"] = {"window_median_s": round(t_window, 2), "repeats": max(1, args.ism_repeats),
                                         "batched_once_s": round(t_batched, 2), "mutants": 1000 * 101 * 3,
                                         "target_s": 60, "meets_target": bool(t_window < 60)}
    result["env"]["loadavg_1min_at_end"] = _load()
    result["total_bench_s"] = round(time.perf_counter() - t_total, 1)

    atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
