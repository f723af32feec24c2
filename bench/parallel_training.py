"""Two ways to use 2 CPU cores for the benchmark: processes or threads.

    python bench/parallel_training.py [--steps 200] [--out bench/results/parallel_training.json]

The same four short training jobs (medium CNN, RNN and CNN-RNN on MAFK, medium
CNN on GABPA; ``--steps`` gradient steps each, one round, evaluation included)
are run through :func:`demolib.benchmark.run_jobs` twice, into fresh
directories: one process at a time with as many torch threads as cores, then
as many one-thread processes (joblib) as cores.  The wall-clock time of each
way and their ratio are written as JSON.  ``demo benchmark --jobs N --threads
1`` is the second way.  This is a benchmark, not a test: run it on an idle
machine and compare the ratio within one run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from demolib import benchmark
from demolib.utils import atomic_write_json


def run(n_jobs: int, threads: int, steps: int) -> float:
    jobs = benchmark.make_jobs(["MAFK"], ["cnn", "rnn", "cnn-rnn"]) + benchmark.make_jobs(["GABPA"], ["cnn"])
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        benchmark.run_jobs(jobs, d, n_jobs=n_jobs, threads=threads,
                           overrides={"min_steps": steps, "max_steps": steps, "epochs": 1})
        return time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--cores", type=int, default=os.cpu_count())
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "parallel_training.json"))
    args = ap.parse_args(argv)
    threads = run(1, args.cores, args.steps)
    processes = run(args.cores, 1, args.steps)
    doc = {"benchmark": "parallel_training", "description": " ".join(__doc__.split("\n\n")[2].split()),
           "machine": benchmark.describe_machine(), "steps_per_job": args.steps, "jobs": 4,
           "seconds": {f"1 process x {args.cores} threads": round(threads, 1),
                       f"{args.cores} processes x 1 thread": round(processes, 1)},
           "processes_speedup": round(threads / processes, 2)}
    atomic_write_json(args.out, doc)
    print(f"threads {threads:.1f} s, processes {processes:.1f} s, speed-up {doc['processes_speedup']} -> {args.out}")
    return doc


if __name__ == "__main__":
    main()
