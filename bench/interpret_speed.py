"""Timing of demolib.interpret on the medium presets (random init, seeded).

Measures
  (a) saliency of 1,000 random 101-bp sequences, medium CNN (best of N after warm-up);
  (b) temporal output scores, batched vs the naive one-pass-per-prefix loop,
      medium RNN and CNN-RNN, on 1 and on 8 sequences (and the ratio);
  (c) class optimization, 1000 steps x 8 restarts, medium CNN;
  (d) the per-sequence work of a dashboard view: saliency on the three medium
      models plus temporal scores on the two recurrent ones.

Prints a JSON object and writes it to bench/results/interpret_speed.json.

    python bench/interpret_speed.py [--threads 2] [--repeats 3] [--out PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demolib.interpret import (  # noqa: E402
    class_optimization,
    saliency,
    temporal_scores,
    temporal_scores_naive,
)
from demolib.models import build_model, preset  # noqa: E402
from demolib.utils import atomic_write_json  # noqa: E402


def _best(fn, repeats: int) -> float:
    """Best wall-clock time of ``repeats`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _onehot(n: int, length: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(idx, 4).float().transpose(1, 2).contiguous()


def _model(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(preset(arch, "medium")).eval()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats; the best is kept (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "interpret_speed.json")
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
            "loadavg_1min_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        }
    }
    t_total = time.perf_counter()

    # (a) saliency, 1000 x 101 bp, medium CNN
    cnn = _model("cnn")
    X = _onehot(1000, 101, seed=1)
    saliency(cnn, X)  # warm-up
    result["saliency_cnn_medium_1000x101_s"] = round(_best(lambda: saliency(cnn, X), r), 4)

    # (b) temporal scores, batched vs naive
    temporal = {}
    for arch in ("rnn", "cnn-rnn"):
        model = _model(arch)
        for n in (1, 8):
            Xn = _onehot(n, 101, seed=2)
            fast = temporal_scores(model, Xn)  # warm-up
            slow = temporal_scores_naive(model, Xn)
            t_fast = _best(lambda: temporal_scores(model, Xn), max(r, 5))
            t_slow = _best(lambda: temporal_scores_naive(model, Xn), r if n == 1 else 1)
            err = max(np.abs(fast.forward - slow.forward).max(), np.abs(fast.backward - slow.backward).max())
            temporal[f"{arch}_medium_N{n}"] = {
                "batched_s": round(t_fast, 5),
                "naive_s": round(t_slow, 4),
                "speedup": round(t_slow / t_fast, 1),
                "max_abs_diff": float(f"{err:.2e}"),
            }
    result["temporal"] = temporal

    # (c) class optimization, 1000 steps x 8 restarts, medium CNN
    for param in ("reference", "simplex"):
        t = time.perf_counter()
        co = class_optimization(cnn, restarts=8, steps=1000, param=param, seed=0, progress=False)
        result[f"class_opt_cnn_medium_8x1000_{param}_s"] = round(time.perf_counter() - t, 3)
        result[f"class_opt_cnn_medium_{param}_best_score"] = round(float(co.score[co.best]), 4)

    # (d) dashboard view of one sequence: 3 saliency maps + 2 temporal score pairs
    models = {arch: _model(arch) for arch in ("cnn", "rnn", "cnn-rnn")}
    x1 = _onehot(1, 101, seed=3)

    def view() -> None:
        for m in models.values():
            saliency(m, x1)
        for arch in ("rnn", "cnn-rnn"):
            temporal_scores(models[arch], x1)

    view()
    result["dashboard_view_1seq_s"] = round(_best(view, max(r, 5)), 4)
    result["total_bench_s"] = round(time.perf_counter() - t_total, 1)

    atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
