"""Time one dashboard: dashboard_data + dashboard + drawing, three medium models.

Goal: computing and drawing the dashboard of one 101-bp sequence with the
CNN, RNN and CNN-RNN (medium presets) takes at most 1 s on CPU.  Class
optimization is excluded (it is computed once per model and cached, see
``dashboard.cached_classopt``).

Models: the committed medium checkpoints where they exist, otherwise freshly
initialised medium models (same architecture, same cost).  Class-optimized
PWMs: ``data/results/classopt/{TF}_{arch}.npy`` where present, random PWMs
otherwise.

Prints the JSON and writes it to ``bench/results/dashboard_speed.json``.

``dashboard_data`` runs torch with 1 intra-op thread (its default); the JSON
also reports the same computation with torch's global thread count.

Usage: python bench/dashboard_speed.py [--tf MAFK] [--repeats 5] [--threads 2] [--no-logomaker]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from demolib import dashboard, plots  # noqa: E402
from demolib.data import load_dataset  # noqa: E402
from demolib.models import build_model, preset  # noqa: E402

BUDGET_S = 1.0


def load_models(tf: str) -> tuple[dict, dict]:
    from demolib.train import load_committed

    models, source = {}, {}
    for arch in plots.ARCH_ORDER:
        try:
            models[arch] = load_committed(tf, arch).model.eval()
            source[arch] = "committed checkpoint"
        except (ValueError, FileNotFoundError):
            torch.manual_seed(0)
            models[arch] = build_model(preset(arch, "medium")).eval()
            source[arch] = "random init (no committed checkpoint)"
    return models, source


def load_classopt(tf: str, L: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(0)
    pwms, source = {}, {}
    for arch in plots.ARCH_ORDER:
        path = dashboard.CLASSOPT_DIR / f"{tf.upper()}_{arch}.npy"
        if path.exists():
            pwms[arch] = np.load(path)
            source[arch] = str(path.relative_to(ROOT))
        else:
            pwms[arch] = rng.dirichlet(np.full(4, 0.3), size=L)
            source[arch] = "random PWM (no cached file)"
    return pwms, source


def one_run(tf, seq, seq_id, models, pwms, engine="fast") -> dict:
    t0 = time.perf_counter()
    data = dashboard.dashboard_data(tf, seq, models, pwms, label=1, seq_id=seq_id)
    t1 = time.perf_counter()
    fig = plots.dashboard(data, Figure(figsize=plots.dashboard_size(len(data.archs))), engine=engine)
    t2 = time.perf_counter()
    FigureCanvasAgg(fig).draw()
    t3 = time.perf_counter()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)  # what the widget shows (draws again + encodes)
    t4 = time.perf_counter()
    return {
        "dashboard_data": t1 - t0,
        "dashboard_layout": t2 - t1,
        "draw": t3 - t2,
        "total": t3 - t0,
        "png_90dpi": t4 - t3,
        "steps": dict(data.timings),
        "n_axes": len(fig.axes),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tf", default="MAFK")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-logomaker", action="store_true", help="skip the logomaker-engine comparison (~6 s)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "dashboard_speed.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    ds = load_dataset(args.tf)
    pos = ds.test.positives()
    seq, seq_id = pos.seqs[0], pos.ids[0]
    models, model_source = load_models(args.tf)
    pwms, pwm_source = load_classopt(args.tf, len(seq))

    cold = one_run(args.tf, seq, seq_id, models, pwms)  # first call: glyph outlines, p-value tables, torch init
    runs = [one_run(args.tf, pos.seqs[i % len(pos)], pos.ids[i % len(pos)], models, pwms)
            for i in range(1, args.repeats + 1)]

    def med(key):
        return round(statistics.median(r[key] for r in runs), 4)

    steps = {k: round(statistics.median(r["steps"][k] for r in runs), 4) for k in runs[0]["steps"]}
    out = {
        "benchmark": "dashboard_speed",
        "tf": args.tf,
        "seq_len": len(seq),
        "archs": list(plots.ARCH_ORDER),
        "models": model_source,
        "classopt_pwms": pwm_source,
        "torch_threads_global": torch.get_num_threads(),
        "torch_threads_dashboard_data": 1,
        "repeats": args.repeats,
        "budget_s": BUDGET_S,
        "warm_median_s": {
            "dashboard_data": med("dashboard_data"),
            "dashboard_layout": med("dashboard_layout"),
            "draw": med("draw"),
            "total": med("total"),
            "png_90dpi": med("png_90dpi"),
        },
        "warm_median_steps_s": steps,
        "cold_s": {k: round(cold[k], 4) for k in ("dashboard_data", "dashboard_layout", "draw", "total", "png_90dpi")},
        "n_axes": runs[0]["n_axes"],
        "within_budget": med("total") <= BUDGET_S,
    }
    # The same computation with torch's global thread count instead of 1 thread.
    t_glob = []
    for i in range(1, args.repeats + 1):
        t0 = time.perf_counter()
        dashboard.dashboard_data(args.tf, pos.seqs[i % len(pos)], models, pwms, threads=None)
        t_glob.append(time.perf_counter() - t0)
    out["dashboard_data_with_global_threads_s"] = {"threads": torch.get_num_threads(),
                                                   "median": round(statistics.median(t_glob), 4),
                                                   "max": round(max(t_glob), 4)}
    if not args.no_logomaker:
        lm = one_run(args.tf, seq, seq_id, models, pwms, engine="logomaker")
        out["logomaker_engine_s"] = {k: round(lm[k], 4) for k in ("dashboard_layout", "draw", "total")}
    out["machine"] = {"load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
                      "python": platform.python_version(), "torch": torch.__version__,
                      "matplotlib": matplotlib.__version__, "processor": platform.processor() or platform.machine()}
    text = json.dumps(out, indent=2)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")
    return out


if __name__ == "__main__":
    main()
