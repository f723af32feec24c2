"""Training and inference throughput (sequences per second) of every architecture and size on CPU.

    python bench/train_throughput.py [--threads 2] [--out bench/results/train_throughput.json]

Training: Adam steps on minibatches of 256 random 101-bp one-hot sequences
(forward, backward, gradient clipping, optimizer step), dropout on.
Inference: forward passes in batches of 1,024 under ``torch.no_grad``.
Each figure is the median of several timed repeats after a warm-up.
This is a benchmark, not a test: compare ratios within one run.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from demolib.models import ARCHS, SIZES, build_model, count_parameters, preset
from demolib.utils import atomic_write_json


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def bench_one(arch: str, size: str, repeats: int) -> dict:
    torch.manual_seed(0)
    model = build_model(preset(arch, size))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xb = torch.rand(256, 4, 101)
    yb = torch.randint(0, 2, (256,))
    xi = torch.rand(1024, 4, 101)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step():
        model.train()
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    @torch.no_grad()
    def infer():
        model.eval()
        model(xi)

    t_train = timed(train_step, repeats)
    t_inf = timed(infer, repeats)
    return {
        "arch": arch,
        "size": size,
        "parameters": count_parameters(model),
        "train_seq_per_s": round(256 / t_train, 1),
        "infer_seq_per_s": round(1024 / t_inf, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="bench/results/train_throughput.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = [bench_one(a, s, args.repeats) for a in ARCHS for s in SIZES]
    result = {
        "benchmark": "train_throughput",
        "torch": torch.__version__,
        "threads": args.threads,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "results": rows,
    }
    atomic_write_json(args.out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
