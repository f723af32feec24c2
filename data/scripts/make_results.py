"""Recompute data/results/ from the committed checkpoints.

    python data/scripts/make_results.py [performance] [classopt] [table3] [small_sets] [ground_truth] [sanity]
                                        [seqlets] [--force]

(no step: all seven, in that order; --force: recompute what a resumable step
has already written).

performance -> data/results/performance.json
    For each shipped TF: test AUROC/AUPRC/accuracy of every committed
    checkpoint (evaluated now, on the split rebuilt from seed 0) beside the
    JASPAR PWM-scan and k-mer logistic-regression baselines on the same split.
classopt -> data/results/classopt/{TF}_{arch}.npy, {TF}_{arch}_logit.npy, classopt.json  (resumable)
    The class-optimized PWM (L x 4) of every committed checkpoint with
    demolib.interpret.class_optimization's defaults (8 restarts, seed 0,
    lambda 0.009, RMSprop momentum 0.9, 1000 steps from U(0, 1)): with the
    paper's objective, the softmax probability of the bound class (the
    default; learning rate 0.01), and with the logit (the reference code's
    learning rate 0.05).  classopt.json records the objective and every
    setting of each file, and the probability and logit of each PWM fed back
    to its model.
table3 -> data/results/table3.json  (resumable; --methods=a,b computes only those methods)
    The paper's Table 3 analog: for each TF x architecture x method, the
    fraction of positive test sequences whose extracted motif matches the TF's
    known JASPAR motif or its family (Tomtom, q < 0.05, within the top 5);
    class optimization gives one yes/no per model (its max-IC window).
small_sets -> data/results/small_sets.json
    Test AUROC (bootstrap 95% CI) of each architecture trained on 250, 500
    and 1,000 peaks drawn from MAFK and POU5F1 (3 seeds each): chapter 05's
    small-peak-set curve.  About an hour on one core; resumable.
ground_truth -> data/results/ground_truth.json
    For every registered attribution method x architecture (CNN, CNN-RNN) x
    synthetic TF (GATA1, MAFK, NFYB) where the method applies: the
    per-sequence AUROC / AUPRC of its per-position map against the planted
    site, over all positive test sequences, with mean and 95% bootstrap CI
    (demolib.ground_truth.benchmark).
sanity -> data/results/sanity.json
    Cascading weight randomization (top layer first) of the same models, for
    every applicable method: mean Spearman rho between the trained and the
    randomized model's maps at each step, on a seeded subset of 100 positive
    test sequences per TF, and the methods flagged because their maps survive
    the full cascade (demolib.sanity).
seqlets -> data/results/seqlets.json
    Motif discovery from attribution maps (demolib.seqlets.discover, ISM by
    default) for every real TF with a committed medium CNN
    (demolib.seqlets.committed_tfs), on all positive test sequences of the
    seed-0 split: the top pattern, its number of seqlets, its best JASPAR
    match (id, name, q) and whether its matches recover the TF's own motif or
    family (motifs.matches_known, q < 0.05, top 5).  Resumable per TF: TFs
    already in the JSON are skipped unless --force.
"""
from __future__ import annotations

import io
import json
import sys
import time

import numpy as np
from tqdm.auto import tqdm

from demolib import baselines, data, interpret, motifs, train
from demolib.models import ARCHS
from demolib.utils import atomic_write, atomic_write_json

RESULTS = data.DATA_DIR / "results"
CLASSOPT_DIR = RESULTS / "classopt"
SYNTHETIC = ("synthetic-GATA1", "synthetic-MAFK", "synthetic-NFYB")
TOP, Q = 5, 0.05


def committed() -> list[tuple[str, str]]:
    """(dataset, arch) of every committed medium checkpoint, real TFs first (the chapters' two,
    then DeepBind's), then the synthetic sets."""
    out = []
    for tf in (*data.ALL_REAL_TFS, *SYNTHETIC, "synthetic-grammar"):
        for arch in ARCHS:
            if train.committed_dir(tf, arch).exists():
                out.append((tf, arch))
    return out


def width(dataset: str) -> int:
    """Motif width k for extraction: 10, or the known JASPAR motif's width if wider."""
    return max(10, data.jaspar_motif(data.known_tf(dataset)).width)


def performance() -> None:
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
    atomic_write_json(RESULTS / "performance.json",
                      {"description": "test-split metrics (seed-0 split of data/peaks); made by "
                                      "data/scripts/make_results.py performance", "rows": rows})
    for r in rows:
        print(f"{r['tf']:<7} {r['model']:<8} AUROC {r['auroc']:.4f}  AUPRC {r['auprc']:.4f}")


def classopt(force: bool = False) -> None:
    """Class-optimized PWMs with the library defaults, once per objective, and classopt.json saying which.
    Resumable: a file with its row in classopt.json, made with the current settings, is kept
    (--force: all are recomputed; use it after retraining a committed checkpoint)."""
    import inspect

    import torch

    torch.set_num_threads(1)  # a batch of 8 inputs is too little work to share between threads
    defaults = {k: v.default for k, v in inspect.signature(interpret.class_optimization).parameters.items()
                if v.default is not inspect.Parameter.empty and k not in ("progress", "length", "objective", "lr")}
    settings = {o: {"lr": spec.lr, **defaults} for o, spec in interpret.OBJECTIVES.items()}
    default = inspect.signature(interpret.class_optimization).parameters["objective"].default
    index = CLASSOPT_DIR / "classopt.json"
    old = json.loads(index.read_text()) if index.exists() and not force else {}
    same = old.get("settings") == settings and old.get("default_objective") == default
    done = {r["file"]: r for r in old.get("rows", []) if same and (CLASSOPT_DIR / r["file"]).exists()}
    todo = [(tf, arch, o) for tf, arch in committed() if tf != "synthetic-grammar"
            for o in sorted(interpret.OBJECTIVES, key=lambda o: o != default)]
    order = [classopt_file(tf, a, o, default) for tf, a, o in todo]  # rows in this order, resumed or not
    rows = [done[f] for f in order if f in done]
    todo = [job for job, f in zip(todo, order) if f not in done]
    print(f"classopt: {len(rows)} files kept, {len(todo)} to compute", file=sys.stderr)
    for tf, arch, objective in tqdm(todo, desc="class optimization"):
        ck = train.load_committed(tf, arch)
        t = time.perf_counter()
        co = interpret.class_optimization(ck.model, objective=objective, progress=False)
        secs = time.perf_counter() - t
        buf = io.BytesIO()
        np.save(buf, co.pwm.astype(np.float32))
        name = classopt_file(tf, arch, objective, default)
        atomic_write(CLASSOPT_DIR / name, buf.getvalue())
        rows.append({"file": name, "dataset": tf, "arch": arch, "objective": co.objective, "best": co.best,
                     "prob": float(co.prob[co.best]), "score": float(co.score[co.best]),
                     "final_objective": float(co.trajectory[co.best, -1]),
                     "last100_std": float(co.trajectory[co.best, -100:].std()), "seconds": round(secs, 1)})
        rows.sort(key=lambda r: order.index(r["file"]))
        atomic_write_json(CLASSOPT_DIR / "classopt.json",
                          {"description": "class-optimized PWMs (L x 4, columns ACGT; the best of the restarts) of "
                                          "the committed checkpoints, made by data/scripts/make_results.py classopt "
                                          "with demolib.interpret.class_optimization(model, objective=...) and the "
                                          f"settings below.  {{TF}}_{{arch}}.npy is the default objective "
                                          f"({default!r}), {{TF}}_{{arch}}_{{objective}}.npy another.  Per file: "
                                          "P(bound) ('prob') and the bound-class logit ('score') of the PWM fed "
                                          "back to its model, the objective's last value and its standard "
                                          "deviation over the last 100 steps",
                           "default_objective": default, "settings": settings, "rows": rows})
        print(f"{tf} {arch} ({objective}): P(bound) of the PWM {co.prob[co.best]:.4f}, logit "
              f"{co.score[co.best]:.3f}, objective {co.trajectory[co.best, -1]:.3f} ({secs:.1f} s)", file=sys.stderr)


def classopt_file(tf: str, arch: str, objective: str, default: str = "probability") -> str:
    """Cache file name: ``{tf}_{arch}.npy`` for the default objective, ``{tf}_{arch}_{objective}.npy`` otherwise."""
    return f"{tf}_{arch}.npy" if objective == default else f"{tf}_{arch}_{objective}.npy"


#: What each Table 3 method's rows were computed with: a row whose rule differs from the
#: library's current rule is stale and is recomputed (the paper's "conv" changed in issue 10).
TABLE3_RULES = {"conv": "strongest first-layer activation of each sequence over all filters, mapped back (paper)",
                "conv-filter": "the one first-layer filter with the largest mean activation (DeepBind-style)"}


def table3(force: bool = False, methods: list[str] | None = None) -> None:
    """Table 3 rows for every committed model x applicable method; resumable per (model, method):
    rows already in table3.json with the current rule are kept (--force: recomputes ``methods``),
    and the file is rewritten after each model."""
    out = RESULTS / "table3.json"
    methods = list(methods or motifs.METHODS)
    old = json.loads(out.read_text())["rows"] if out.exists() else []
    keep = {(r["dataset"], r["arch"], r["method"]): r for r in old
            if r["method"] in motifs.METHODS and r.get("method_rule") == TABLE3_RULES.get(r["method"])
            and not (force and r["method"] in methods)}
    unknown = set(methods) - set(motifs.METHODS)
    if unknown:
        sys.exit(f"table3: unknown methods {sorted(unknown)}; choose from {', '.join(motifs.METHODS)}")
    todo = [(tf, a) for tf, a in committed() if tf != "synthetic-grammar"]
    for tf, arch in tqdm(todo, desc="table 3"):
        ck = train.load_committed(tf, arch)
        tfname, k = data.known_tf(tf), width(tf)
        pos = data.load_dataset(tf).test.positives()
        for method in methods:
            if (tf, arch, method) in keep or not motifs.applicable(method, ck.model):
                continue  # done, or not applicable (temporal: recurrent; conv: filters; registry: its needs)
            if method == "classopt":
                pwm = np.load(CLASSOPT_DIR / f"{tf}_{arch}.npy")
                s = motifs.max_ic_window(pwm, k)
                matches = motifs.tomtom(pwm[s : s + k], top=TOP)
                hit = motifs.matches_known(matches, tfname, q=Q, top=TOP)
                row = {"tf": tfname, "method": method, "k": k, "n": 1, "n_match": int(hit), "fraction": float(hit),
                       "q": Q, "top": TOP, "top_match": matches[0].name if matches and matches[0].q < Q else None,
                       "rule": "class-optimized motif (max-IC window) matches the TF or its family"}
            else:
                row = motifs.table3_row(ck.model, pos.seqs, tfname, method, k, q=Q, top=TOP)
            keep[tf, arch, method] = {"dataset": tf, "arch": arch, **row, "method_rule": TABLE3_RULES.get(method)}
            print(f"{tf:<16} {arch:<8} {method:<9} {row['fraction']:.3f} ({row['top_match']})", file=sys.stderr)
        order = {m: i for i, m in enumerate(motifs.METHODS)}
        rows = sorted(keep.values(), key=lambda r: (todo.index((r["dataset"], r["arch"])) if (r["dataset"], r["arch"])
                                                    in todo else len(todo), order[r["method"]]))
        atomic_write_json(out, {"description": "fraction of positive test sequences whose extracted motif matches "
                                               f"the known JASPAR motif or its family (Tomtom q < {Q}, top {TOP}); "
                                               "made by data/scripts/make_results.py table3", "rows": rows})


SMALL_TFS, SMALL_NS, SMALL_SEEDS = ("MAFK", "POU5F1"), (250, 500, 1000), (0, 1, 2)


def _small_run(tf: str, n: int, arch: str, seed: int) -> dict:
    import torch

    from demolib.models import preset

    torch.set_num_threads(1)
    ds = data.subsample_peaks(tf, n, seed=seed)
    tc = train.default_train_config(arch, seed=seed)
    t = time.perf_counter()
    res = train.fit(preset(arch, "medium"), ds, tc, progress=False)
    secs = time.perf_counter() - t
    m = train.evaluate(res.model, ds.test)
    last = res.history[-1]
    return {"tf": tf, "n_peaks": n, "arch": arch, "seed": seed, "valid_auroc": res.valid["auroc"],
            "learned": bool(res.valid["auroc"] >= train.DID_NOT_LEARN_AUROC), "rounds": len(res.history),
            "best_round": res.best_epoch, "steps": last.get("steps"), "batch_size": last.get("batch_size"),
            "train_seconds": round(secs, 1), **m}


def small_sets(n_jobs: int = 2) -> None:
    """Test AUROC vs number of peaks: MAFK and POU5F1 subsampled to 250, 500
    and 1,000 peaks (3 seeds each), every architecture with its default
    training settings, one torch thread per run.  Resumable: finished runs
    are kept in the JSON and skipped."""
    from joblib import Parallel, delayed

    from demolib.models import ARCHS

    out = RESULTS / "small_sets.json"
    done = {(r["tf"], r["n_peaks"], r["arch"], r["seed"]): r
            for r in (json.loads(out.read_text())["rows"] if out.exists() else [])}
    todo = [(tf, n, a, s) for tf in SMALL_TFS for n in SMALL_NS for a in ARCHS for s in SMALL_SEEDS
            if (tf, n, a, s) not in done]
    par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for r in tqdm(par(delayed(_small_run)(*job) for job in todo), total=len(todo), desc="small sets"):
        done[(r["tf"], r["n_peaks"], r["arch"], r["seed"])] = r
        print(f"{r['tf']:<7} {r['n_peaks']:>5} {r['arch']:<8} seed {r['seed']}  test AUROC {r['auroc']:.3f} "
              f"[{r['auroc_ci'][0]:.3f}, {r['auroc_ci'][1]:.3f}]  {r['train_seconds']} s", file=sys.stderr)
        rows = [done[k] for k in sorted(done, key=lambda k: (k[0], k[1], ARCHS.index(k[2]), k[3]))]
        atomic_write_json(out, {"description": "test AUROC of models trained on n peaks drawn from the shipped "
                                               "peak sets (seeded 80/10/10 split of those n; default training "
                                               "settings; one torch thread); made by "
                                               "data/scripts/make_results.py small_sets", "rows": rows})


def ground_truth() -> None:
    """Attribution maps against planted sites: every method x arch x synthetic TF."""
    import torch

    from demolib import ground_truth as gt

    torch.set_num_threads(1)
    t = time.perf_counter()
    rows = gt.benchmark(gt.SYNTHETIC, gt.ARCHS, seed=0)
    secs = time.perf_counter() - t
    atomic_write_json(RESULTS / "ground_truth.json",
                      {"description": "per-sequence AUROC / AUPRC of each attribution method's per-position map "
                                      "against the planted site (label 1 inside it), over all positive test "
                                      "sequences of the synthetic sets; mean and 95% BCa bootstrap CI over "
                                      "sequences (seed 0); methods with their registered defaults; one torch "
                                      "thread; made by data/scripts/make_results.py ground_truth",
                       "seconds": round(secs, 1), "rows": rows})
    for r in rows:
        print(f"{r['tf']:<6} {r['arch']:<8} {r['method']:<21} AUROC {r['auroc_mean']:.3f} "
              f"[{r['auroc_ci'][0]:.3f}, {r['auroc_ci'][1]:.3f}]  AUPRC {r['auprc_mean']:.3f}  "
              f"n={r['n']}  {r['seconds']} s", file=sys.stderr)
    print(f"ground_truth: {secs:.0f} s", file=sys.stderr)


SANITY_N = 100


def sanity() -> None:
    """Cascading weight randomization of every method on the synthetic checkpoints."""
    import torch

    from demolib import sanity as sn

    torch.set_num_threads(1)
    t = time.perf_counter()
    rows = sn.run(n=SANITY_N, seed=0)
    secs = time.perf_counter() - t
    flags = sn.flags(rows)
    atomic_write_json(RESULTS / "sanity.json",
                      {"description": "cascading weight randomization (top layer first, each layer re-initialized "
                                      "with its default initializer, seeded): mean per-sequence Spearman rho "
                                      "between the trained and the randomized model's per-position maps "
                                      f"(rho_abs; rho_signed on the signed per-position totals), on {SANITY_N} "
                                      "positive test sequences per synthetic TF drawn with seed 0; a method is "
                                      f"flagged when rho_abs after the full cascade exceeds {sn.THRESHOLD}; one "
                                      "torch thread; made by data/scripts/make_results.py sanity",
                       "threshold": sn.THRESHOLD, "seconds": round(secs, 1), "flags": flags, "rows": rows})
    for f in flags:
        print(f"{f['dataset']:<16} {f['arch']:<8} {f['method']:<21} rho after full cascade "
              f"{f['rho_abs_final']:.3f}{'  FLAGGED' if f['flagged'] else ''}", file=sys.stderr)
    print(f"sanity: {secs:.0f} s", file=sys.stderr)


SEQLETS_ARCH, SEQLETS_SIZE = "cnn", "medium"


def seqlets(force: bool = False) -> None:
    """Seqlets -> patterns -> JASPAR for each real TF with a committed medium CNN (resumable per TF)."""
    import torch

    from demolib import seqlets as sq

    torch.set_num_threads(1)
    out = RESULTS / "seqlets.json"
    old = json.loads(out.read_text()) if out.exists() and not force else {}
    done = {r["tf"]: r for r in old.get("rows", [])}
    tfs = sq.committed_tfs(SEQLETS_ARCH, SEQLETS_SIZE)
    todo = [tf for tf in tfs if tf not in done]
    print(f"seqlets: {len(tfs)} TFs with a committed {SEQLETS_ARCH}-{SEQLETS_SIZE}; "
          f"{len(tfs) - len(todo)} already done, {len(todo)} to run", file=sys.stderr)
    settings = None
    for tf in tqdm(todo, desc="seqlets"):
        ck = train.load_committed(tf, SEQLETS_ARCH, SEQLETS_SIZE)
        pos = data.load_dataset(tf).test.positives()
        t = time.perf_counter()
        res = sq.discover(ck.model, pos.X, sq.DEFAULT_METHOD)
        secs = time.perf_counter() - t
        settings = res.settings
        row = sq.top_pattern_summary(res, tf, q=Q, top=TOP)
        row["patterns"] = [{"n_seqlets": p.n_seqlets, "width": p.width,
                            "consensus": "".join("ACGT"[i] for i in p.pwm.argmax(axis=1)),
                            "match_id": p.best.id if p.best else None, "match_name": p.best.name if p.best else None,
                            "match_q": p.best.q if p.best else None,
                            "in_family": motifs.matches_known(p.matches, tf, q=Q, top=TOP)}
                           for p in res.patterns[:5]]
        row["seconds"] = round(secs, 1)
        done[tf] = row
        rows = [done[k] for k in sorted(done, key=lambda k: (tfs.index(k) if k in tfs else len(tfs), k))]
        atomic_write_json(out, {
            "description": "motif discovery from attribution maps: per real TF with a committed "
                           f"{SEQLETS_ARCH}-{SEQLETS_SIZE} checkpoint, attributions of all positive test sequences "
                           "(seed-0 split), tangermeme's recursive seqlets, greedy aligned-similarity patterns "
                           "(demolib.seqlets), Tomtom against the JASPAR snapshot; the top pattern (most "
                           "seqlets) and its best match; in_family: the top pattern's matches recover the TF's "
                           f"own matrix or JASPAR family (q < {Q}, top {TOP}); one torch thread; seconds include "
                           "the numba compilation of the seqlet caller in the first TF of a run",
            "command": "python data/scripts/make_results.py seqlets" + (" --force" if force else ""),
            "arch": SEQLETS_ARCH, "size": SEQLETS_SIZE, "sequences": "all positive test sequences",
            "q": Q, "top": TOP, "settings": settings if settings is not None else old.get("settings"),
            "rows": rows})
        match = f"{row['match_name']} {row['match_id']} q={row['match_q']:.2g}" if row["match_id"] else "none"
        print(f"{tf:<7} top pattern {row['top_consensus']} ({row['top_n_seqlets']} of {row['n_seqlets']} seqlets), "
              f"best match {match}, in family: {row['in_family']}; {secs:.1f} s", file=sys.stderr)


def main(argv: list[str]) -> None:
    steps = {"performance": performance, "classopt": classopt, "table3": table3, "small_sets": small_sets,
             "ground_truth": ground_truth, "sanity": sanity, "seqlets": seqlets}
    force = "--force" in argv
    methods = next((a.split("=", 1)[1].split(",") for a in argv if a.startswith("--methods=")), None)
    names = [a for a in argv if a != "--force" and not a.startswith("--methods=")]
    for name in names or list(steps):
        if name not in steps:
            sys.exit(f"unknown step {name!r}; choose from {', '.join(steps)} (and --force, --methods=a,b for table3)")
        if name == "seqlets":
            steps[name](force=force)
        elif name == "table3":
            steps[name](force=force, methods=methods)
        elif name == "classopt":
            steps[name](force=force)
        else:
            steps[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
