"""Training time of the ten-TF benchmark, read from the checkpoints it wrote.

    python bench/benchmark_time.py [--checkpoints data/checkpoints] [--out bench/results/benchmark_time.json]

For every checkpoint that ``demo benchmark`` trained (its training settings
carry the benchmark's ``max_steps``), the wall-clock training time
(``metrics.train_seconds``: data loading excluded, evaluation included),
the gradient steps and rounds it ran, and seconds per 1,000 steps; then the
total per architecture, for every run so far, and for the runs behind each
committed table (Table 2 with its tuning grid, the size comparison; a run
both use counts in each).  How the models were
run (processes, threads, device) is taken from the command line of the run,
which the checkpoints do not record: pass it with ``--how``.  This reads
results, it does not time anything itself; a benchmark run that was paused
counts the pause.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from demolib.benchmark import RESULTS_DIR, SIZES_DIR, Job, describe_machine
from demolib.data import DATA_DIR
from demolib.utils import atomic_write_json


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", default=str(DATA_DIR / "checkpoints"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "benchmark_time.json"))
    ap.add_argument("--how", default="2 processes x 1 torch thread, CPU (demo benchmark --jobs 2 --threads 1)")
    args = ap.parse_args(argv)
    rows = []
    for meta_path in sorted(Path(args.checkpoints).glob("*/checkpoint.json")):
        meta = json.loads(meta_path.read_text())
        tc, hist = meta.get("train_config", {}), meta.get("history", [])
        if tc.get("max_steps") is None or not hist:
            continue  # not a benchmark model
        secs = meta["metrics"]["train_seconds"]
        steps = hist[-1].get("steps")
        rows.append({"model": meta_path.parent.name, "arch": meta["model_config"]["arch"],
                     "size": meta["model_config"]["size"], "dataset": meta["provenance"].get("dataset"),
                     "lr": tc.get("lr"), "train_seconds": secs, "steps": steps, "rounds": len(hist),
                     "best_round": meta["metrics"].get("best_epoch"),
                     "seconds_per_1000_steps": round(1000 * secs / steps, 1) if steps else None,
                     "test_auroc": meta["metrics"]["test"]["auroc"]})
    per_arch = {}
    for r in rows:
        a = per_arch.setdefault(r["arch"], {"models": 0, "train_seconds": 0.0})
        a["models"] += 1
        a["train_seconds"] = round(a["train_seconds"] + r["train_seconds"], 1)
    secs = {r["model"]: r["train_seconds"] for r in rows}
    tables = {}
    for name, d in (("table2", RESULTS_DIR), ("sizes", SIZES_DIR)):
        if (d / "benchmark.json").exists():
            keys = [Job(**j).key for j in json.loads((d / "benchmark.json").read_text())["meta"]["jobs"]]
            tables[name] = {"runs": len(keys), "trained": sum(k in secs for k in keys),
                            "train_seconds": round(sum(secs.get(k, 0.0) for k in keys), 1)}
    doc = {"description": __doc__.split("\n\n")[2].replace("\n", " "), "how": args.how,
           "machine": describe_machine(), "models": len(rows), "per_model": rows, "per_arch": per_arch,
           "total_train_seconds": round(sum(r["train_seconds"] for r in rows), 1), "tables": tables}
    atomic_write_json(args.out, doc)
    print(f"{len(rows)} benchmark models, {doc['total_train_seconds']:.0f} s of training in all -> {args.out}")
    return doc


if __name__ == "__main__":
    main()
