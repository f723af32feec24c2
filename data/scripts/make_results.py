"""Recompute data/results/performance.json from the committed checkpoints.

    python data/scripts/make_results.py

For each shipped TF: test AUROC/AUPRC/accuracy of every committed checkpoint
(evaluated now, on the split rebuilt from the checkpoint's seed) beside the
JASPAR PWM-scan and k-mer logistic-regression baselines on the same split.
"""
from __future__ import annotations

import sys

from demolib import baselines, data, train
from demolib.models import ARCHS
from demolib.utils import atomic_write_json

OUT = data.DATA_DIR / "results" / "performance.json"


def main() -> None:
    rows = []
    for tf in data.REAL_TFS:
        ds = data.load_dataset(tf)
        for arch in ARCHS:
            try:
                ck = train.load_committed(tf, arch)
            except ValueError as e:
                print(f"skip: {e}", file=sys.stderr)
                continue
            m = train.evaluate(ck.model, ds.test)
            rows.append({"tf": tf, "model": arch, "size": ck.config.size, "best_epoch": ck.metrics.get("best_epoch"),
                         "train_seconds": ck.metrics.get("train_seconds"), **m})
        rows.append({"tf": tf, "model": "pwm", **baselines.pwm_baseline(ds, tf)})
        rows.append({"tf": tf, "model": "kmer", **baselines.kmer_baseline(ds)})
        print(tf, "done", file=sys.stderr)
    atomic_write_json(OUT, {"description": "test-split metrics (seed-0 split of data/peaks); "
                                           "made by data/scripts/make_results.py", "rows": rows})
    for r in rows:
        print(f"{r['tf']:<7} {r['model']:<8} AUROC {r['auroc']:.4f}  AUPRC {r['auprc']:.4f}")


if __name__ == "__main__":
    main()
