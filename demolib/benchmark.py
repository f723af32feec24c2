"""The DeMo benchmark: many TFs x architectures x sizes, trained, evaluated, compared.

The paper's headline is a comparison over DeepBind's ENCODE datasets: mean
test AUC per architecture and paired t-tests between architectures.  This
module makes that table.

* :func:`make_jobs` lists what to train (one :class:`Job` per dataset x
  architecture x size x learning rate of the tuning grid, the same grid for
  every architecture); :func:`run_jobs` trains the missing ones in parallel
  processes (joblib locally, or submitit for a Slurm cluster) and skips
  finished ones, so a killed run loses at most the models in progress
  (checkpoints are written atomically, so a half-written one never exists).
* :func:`collect` keeps, of each model's grid, the run with the best
  validation AUROC, evaluates it on its test split (AUROC and AUPRC with
  bootstrap 95% intervals) beside both baselines (cached per dataset), and
  :func:`paired_tests` runs the paper's paired two-tailed t-test over TFs
  for every pair of models, with the Wilcoxon signed-rank test beside it.
* :func:`write_table` writes ``benchmark.json`` and ``benchmark.csv``; the
  figure is :func:`demolib.plots.benchmark_auroc`.
"""
from __future__ import annotations

import functools
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from . import data
from .utils import atomic_write, atomic_write_json

__all__ = ["Job", "make_jobs", "deepbind_pairs", "job_dataset", "train_config_for", "run_job", "run_jobs",
           "pending", "collect", "paired_tests", "summarize", "write_table", "BASELINES", "RESULTS_DIR",
           "SIZES_DIR", "load_table", "table2", "tests_table", "claims", "PAPER_CLAIMS", "paper_claims",
           "baseline_wins", "multi_size_datasets", "sizes_table", "grid_table", "grid_summary"]

#: Where ``make checkpoints`` writes the committed table (``benchmark.json``, ``.csv``, ``.png``).
RESULTS_DIR = data.DATA_DIR / "results" / "benchmark"

#: Where ``make checkpoints`` writes the size comparison: small, medium and large models of every
#: architecture on three TFs, all at the default learning rate, so the sizes are compared at equal
#: settings (the ten-TF table in :data:`RESULTS_DIR` may pick another rate from its tuning grid).
SIZES_DIR = data.DATA_DIR / "results" / "benchmark-sizes"

#: Datasets whose ``<TF>-<arch>-<size>`` checkpoints are the chapters' models, trained with each
#: architecture's own defaults (chapter 05).  Their benchmark models, trained with the common step
#: budget like every other TF's, live beside them as ``<TF>-<arch>-<size>-benchmark``.
CHAPTER_DATASETS = ("MAFK", "POU5F1")

#: Baseline models compared with the networks (label -> results key).
BASELINES = {"pwm": "JASPAR PWM scan", "kmer": "k-mer LR"}


@dataclass(frozen=True)
class Job:
    """One model to train.

    Attributes
    ----------
    dataset : str
        Shipped dataset name (``"MYC"``) or, for a user's DeepBind directory,
        the file stem (``"MYC_H1-hESC_c-Myc_Stanford"``).
    arch, size : str
        See :data:`demolib.architectures.ARCHITECTURES`.
    seed : int
    train_path, test_path : str or None
        DeepBind-format files for datasets that are not shipped.
    lr_scale : float
        The architecture's default learning rate times this (a point of the
        tuning grid; 1 is the default itself).
    """

    dataset: str
    arch: str
    size: str = "medium"
    seed: int = 0
    train_path: str | None = None
    test_path: str | None = None
    lr_scale: float = 1.0

    @property
    def key(self) -> str:
        """Checkpoint directory name, e.g. ``MYC-cnn-medium`` (``MAFK-cnn-medium-benchmark``
        for the datasets whose plain key holds a chapter's model: :data:`CHAPTER_DATASETS`);
        a learning rate other than the default adds its scale: ``MYC-rnn-medium-lr3x``."""
        key = f"{self.dataset}-{self.arch}-{self.size}"
        if self.lr_scale != 1:
            key += f"-lr{self.lr_scale:g}x"
        return f"{key}-benchmark" if self.dataset in CHAPTER_DATASETS and not self.train_path else key

    @property
    def model(self) -> str:
        """The table's model name, ``<arch>-<size>`` (one per tuning grid)."""
        return f"{self.arch}-{self.size}"

    @property
    def tf(self) -> str:
        """The TF (for its JASPAR matrix): the dataset name up to the first ``_``."""
        return self.dataset.split("_")[0]


def deepbind_pairs(directory: str | Path) -> dict[str, tuple[Path, Path | None]]:
    """DeepBind-format datasets in a directory: stem -> (``*_AC.seq[.gz]``, ``*_B.seq[.gz]`` or None)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: --deepbind-dir is not a directory")
    out = {}
    for ac in sorted(directory.iterdir()):
        for ext in ("_AC.seq.gz", "_AC.seq"):
            if ac.name.endswith(ext):
                stem = ac.name[: -len(ext)]
                b = next((directory / f"{stem}_B{e}" for e in (".seq.gz", ".seq") if (directory / f"{stem}_B{e}").exists()),
                         None)
                out[stem] = (ac, b)
    if not out:
        raise ValueError(f"{directory}: no DeepBind training files (*_AC.seq or *_AC.seq.gz) in --deepbind-dir")
    return out


def make_jobs(tfs=(), archs=("cnn", "rnn", "cnn-rnn"), sizes=("medium",), *, deepbind_dir=None, seed: int = 0,
              extra_sizes_tfs=(), lr_scales=(1.0,)) -> list[Job]:
    """The job list: every dataset x architecture x size.

    Parameters
    ----------
    tfs : shipped dataset names
    archs, sizes : names from the architecture registry
    deepbind_dir : directory of DeepBind files, added to ``tfs``
    extra_sizes_tfs : datasets that get ``sizes``; the others only "medium"
        (the paper shows the best model beside a smaller and a larger one on
        a few TFs).  Empty: every dataset gets every size.
    lr_scales : the tuning grid: each model is trained with its
        architecture's default learning rate times each of these, and
        :func:`collect` keeps the run with the best validation AUROC (ties:
        the first scale listed).  The same grid for every architecture.
    """
    from .architectures import ARCHITECTURES, SIZES

    for a in archs:
        if a not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {a!r}; choose from {', '.join(ARCHITECTURES)}")
    for s in sizes:
        if s not in SIZES:
            raise ValueError(f"unknown size {s!r}; choose from {', '.join(SIZES)}")
    lr_scales = tuple(float(x) for x in lr_scales)
    if not lr_scales or any(not (x > 0 and np.isfinite(x)) for x in lr_scales) or len(set(lr_scales)) < len(lr_scales):
        raise ValueError(f"learning-rate scales {lr_scales}: give distinct positive numbers, e.g. 1,3")
    sets: list[tuple[str, str | None, str | None]] = [(data.canonical_name(t), None, None) for t in tfs]
    for t, _, _ in sets:
        data.dataset_protocol(t)  # unknown names fail here, before anything trains
    if deepbind_dir is not None:
        sets += [(stem, str(ac), str(b) if b else None) for stem, (ac, b) in deepbind_pairs(deepbind_dir).items()]
    jobs = []
    for name, tr, te in sets:
        for size in sizes:
            if extra_sizes_tfs and size != "medium" and name not in extra_sizes_tfs:
                continue
            for a in archs:
                jobs += [Job(name, a, size, seed, tr, te, x) for x in lr_scales]
    return jobs


def job_dataset(job: Job) -> data.Dataset:
    """The dataset a job trains on (its DeepBind files, or the shipped set)."""
    if job.train_path:
        return data.deepbind_task(job.train_path, job.test_path, job.dataset, seed=job.seed)
    return data.load_dataset(job.dataset, seed=job.seed)


def train_config_for(job: Job, **overrides):
    """The benchmark's training settings: the architecture's defaults
    (:func:`demolib.train.default_train_config`) with the same step budget for
    every architecture and TF: at least 3,000 gradient steps within its epochs
    (a round is several passes on small sets), at most 6,000, early stopping
    on validation AUROC as usual; the learning rate times ``job.lr_scale``."""
    from .architectures import ARCHITECTURES
    from .train import default_train_config

    budget = dict(ARCHITECTURES[job.arch].benchmark_budget)
    if job.lr_scale != 1:
        budget["lr"] = round(default_train_config(job.arch).lr * job.lr_scale, 12)  # 0.009, not 0.009000000000000001
    return default_train_config(job.arch, seed=job.seed, **{**budget, **overrides})


def _done(out: Path, job: Job, overrides: dict | None = None) -> bool:
    """A checkpoint of this job, trained with the benchmark's settings, is in ``out``."""
    meta = out / "checkpoint.json"
    if not (meta.exists() and (out / "weights.pt").exists()):
        return False
    try:
        m = json.loads(meta.read_text())
        cfg, tc = m["model_config"], m["train_config"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return False
    from .train import TrainConfig

    want = train_config_for(job, **(overrides or {})).to_dict()
    # a field added to TrainConfig later counts as its default in older checkpoints
    old = {**TrainConfig().to_dict(), **tc} if isinstance(tc, dict) else None
    return (cfg.get("arch"), cfg.get("size"), old) == (job.arch, job.size, want)


def pending(jobs: list[Job], root: str | Path, overrides: dict | None = None) -> list[Job]:
    """Jobs whose checkpoint (trained with these settings) is not yet in ``root``."""
    return [j for j in jobs if not _done(Path(root) / j.key, j, overrides)]


def run_job(job: Job, root: str | Path, *, threads: int = 1, device: str | None = None,
            overrides: dict | None = None) -> dict:
    """Train one job into ``root/job.key`` unless it is already there.

    ``overrides`` change :func:`train_config_for`'s settings (and what counts
    as already there).

    Returns ``{"key", "trained", "seconds", "test"}`` (``test``: the test
    metrics when trained now, else ``None``).
    """
    import torch

    from .models import preset
    from .train import train_dataset_model

    out = Path(root) / job.key
    if _done(out, job, overrides):
        return {"key": job.key, "trained": False, "seconds": 0.0, "test": None}
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    ds = job_dataset(job)
    tc = train_config_for(job, **(overrides or {}))
    _, test = train_dataset_model(ds, preset(job.arch, job.size, seq_len=ds.length), out, tc, progress=False,
                                  device=device)
    return {"key": job.key, "trained": True, "seconds": round(time.perf_counter() - t0, 1), "test": test}


def run_jobs(jobs: list[Job], root: str | Path, *, n_jobs: int = 1, threads: int = 1, device: str | None = None,
             executor: str = "joblib", log: str | Path | None = None, overrides: dict | None = None) -> list[dict]:
    """Train the missing jobs, ``n_jobs`` processes at a time.

    Parameters
    ----------
    executor : {"joblib", "slurm", "debug"}
        ``joblib``: local processes (loky).  ``slurm``: one array job through
        submitit (``pip install submitit``; logs in ``root/submitit``).
        ``debug``: submitit's in-process executor (tests the same path).
    log : file to which one JSON line per finished job is appended.

    Returns
    -------
    list of :func:`run_job` records, in the order the jobs finished.
    """
    todo = pending(jobs, root, overrides)
    if not todo:
        return []
    kw = dict(threads=threads, device=device, overrides=overrides)
    records = []

    def note(rec):
        records.append(rec)
        if log:
            with open(log, "a") as fh:
                fh.write(json.dumps({**rec, "time": time.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")

    if executor == "joblib":
        from joblib import Parallel, delayed
        from tqdm.auto import tqdm

        par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for rec in tqdm(par(delayed(run_job)(j, root, **kw) for j in todo), total=len(todo), desc="models"):
            note(rec)
    elif executor in ("slurm", "debug"):
        try:
            import submitit
        except ImportError:
            raise ValueError("--executor slurm needs submitit (a dependency of demolib): pip install submitit") from None
        ex = submitit.AutoExecutor(folder=Path(root) / "submitit", cluster="debug" if executor == "debug" else None)
        ex.update_parameters(timeout_min=240, cpus_per_task=threads, slurm_array_parallelism=n_jobs)
        futures = ex.map_array(functools.partial(run_job, root=root, **kw), todo)
        for f in futures:
            note(f.result())
    else:
        raise ValueError(f"unknown executor {executor!r}; choose joblib, slurm or debug")
    return records


# --------------------------------------------------------------------------
# Evaluation and statistics
# --------------------------------------------------------------------------
def _baselines(job: Job, ds: data.Dataset, cache: Path) -> dict:
    from . import baselines

    p = cache / f"{job.dataset}-seed{job.seed}.json"
    if p.exists():
        res = json.loads(p.read_text())
        if res.pop("version", None) == baselines.VERSION:
            return res
    try:
        pwm = baselines.pwm_baseline(ds, job.tf, ci=True)
    except ValueError as e:  # a TF without a JASPAR matrix
        pwm = {"skipped": str(e)}
    res = {"pwm": pwm, "kmer": baselines.kmer_baseline(ds, ci=True)}
    atomic_write_json(p, {"version": baselines.VERSION, **res})
    return res


def collect(jobs: list[Job], root: str | Path, *, cache: str | Path | None = None, progress: bool = True,
            overrides: dict | None = None) -> list[dict]:
    """Evaluate the finished models and the baselines of their datasets.

    A model (dataset, architecture, size) is finished when every run of its
    tuning grid is; the run with the best validation AUROC is the one
    evaluated (ties: the first in job order).  Its test set plays no part in
    the choice.

    Returns
    -------
    list of dict
        One row per (dataset, model): ``dataset, model, kind ("deep" or
        "baseline"), arch, size, auroc, auroc_lo, auroc_hi, auprc, auprc_lo,
        auprc_hi, n``; deep rows also ``best_epoch, train_seconds, rounds,
        steps, stopped_by`` (:func:`demolib.train.stop_reason`), ``lr`` and
        ``lr_scale`` (the chosen run), ``valid_auroc`` (its best validation
        AUROC) and ``grid`` (``"scale:validation AUROC"`` of every run, ``;``
        between).  Baseline rows are computed once per dataset and cached in
        ``cache`` (default ``root/baselines``).
    """
    from tqdm.auto import tqdm

    from .train import evaluate, load_checkpoint, stop_reason

    root = Path(root)
    cache = Path(cache) if cache else root / "baselines"
    cache.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    by_ds: dict[str, list[Job]] = {}
    for j in jobs:
        by_ds.setdefault(j.dataset, []).append(j)
    for name, js in tqdm(by_ds.items(), desc="evaluate", disable=not progress):
        ds = job_dataset(js[0])
        for key, res in _baselines(js[0], ds, cache).items():
            if "auroc" in res:
                rows.append(_row(name, key, "baseline", None, None, res))
            else:  # e.g. a TF without a JASPAR matrix: said, not silently left out
                warnings.warn(f"{name}: no {BASELINES[key]} baseline ({res.get('skipped', 'no result')})",
                              stacklevel=2)
        grids: dict[str, list[Job]] = {}
        for j in js:
            grids.setdefault(j.model, []).append(j)
        for model, grid in grids.items():
            if not all(_done(root / j.key, j, overrides) for j in grid):
                continue
            valid = [_valid_auroc(root / j.key) for j in grid]
            pick = int(np.argmax(valid))  # the first of equal ones
            j = grid[pick]
            ck = load_checkpoint(root / j.key, arch=j.arch)
            m = evaluate(ck.model, ds.test)
            rows.append(_row(name, model, "deep", j.arch, j.size, m,
                             best_epoch=ck.metrics.get("best_epoch"), train_seconds=ck.metrics.get("train_seconds"),
                             rounds=len(ck.history), steps=ck.history[-1].get("steps"),
                             stopped_by=stop_reason(ck.history, ck.train_config), lr=ck.train_config["lr"],
                             lr_scale=j.lr_scale, valid_auroc=valid[pick],
                             grid=";".join(f"{g.lr_scale:g}:{v:.4f}" for g, v in zip(grid, valid))))
    return rows


def _valid_auroc(path: Path) -> float:
    """The best validation AUROC a checkpoint recorded (what the tuning grid is chosen on)."""
    return float(json.loads((path / "checkpoint.json").read_text())["metrics"]["valid"]["auroc"])


def _row(dataset, model, kind, arch, size, m, **extra) -> dict:
    return {"dataset": dataset, "model": model, "kind": kind, "arch": arch, "size": size,
            "auroc": m["auroc"], "auroc_lo": m["auroc_ci"][0], "auroc_hi": m["auroc_ci"][1],
            "auprc": m["auprc"], "auprc_lo": m["auprc_ci"][0], "auprc_hi": m["auprc_ci"][1], "n": m["n"], **extra}


def _wide(rows: list[dict], metric: str) -> tuple[list[str], list[str], np.ndarray]:
    """datasets, models, values (datasets x models; NaN where missing)."""
    ds = sorted({r["dataset"] for r in rows})
    models = sorted({r["model"] for r in rows}, key=_model_order)
    V = np.full((len(ds), len(models)), np.nan)
    for r in rows:
        V[ds.index(r["dataset"]), models.index(r["model"])] = r[metric]
    return ds, models, V


def _model_order(m: str) -> tuple:
    from .architectures import ARCHITECTURES, SIZES

    if m in BASELINES:
        return (1, list(BASELINES).index(m), 0)
    arch, size = m.rsplit("-", 1)
    return (0, SIZES.index(size) if size in SIZES else 9, list(ARCHITECTURES).index(arch))


def paired_tests(rows: list[dict], metric: str = "auroc", models: list[str] | None = None) -> list[dict]:
    """The paper's statistics over TFs for every pair of models.

    For each pair, on the datasets where both have a value: the mean
    difference (first minus second), the paired two-tailed t-test
    (``scipy.stats.ttest_rel``) and the Wilcoxon signed-rank test
    (``scipy.stats.wilcoxon``, two-sided).  Pairs are listed in model order.
    """
    from scipy.stats import ttest_rel, wilcoxon

    _, names, V = _wide(rows, metric)
    models = models or names
    out = []
    for a, b in combinations(models, 2):
        x, y = V[:, names.index(a)], V[:, names.index(b)]
        ok = ~(np.isnan(x) | np.isnan(y))
        n = int(ok.sum())
        rec = {"a": a, "b": b, "metric": metric, "n": n, "mean_diff": float(np.mean(x[ok] - y[ok])) if n else None,
               "a_wins": int((x[ok] > y[ok]).sum())}
        if n >= 2 and np.any(x[ok] != y[ok]):
            t = ttest_rel(x[ok], y[ok])
            w = wilcoxon(x[ok], y[ok])
            rec.update(t=float(t.statistic), p_t=float(t.pvalue), w=float(w.statistic), p_wilcoxon=float(w.pvalue))
        out.append(rec)
    return out


def summarize(rows: list[dict], metric: str = "auroc") -> list[dict]:
    """Mean, standard deviation and number of datasets per model."""
    _, names, V = _wide(rows, metric)
    return [{"model": m, "metric": metric, "n": int((~np.isnan(V[:, i])).sum()),
             "mean": float(np.nanmean(V[:, i])), "sd": float(np.nanstd(V[:, i], ddof=1)) if (~np.isnan(V[:, i])).sum() > 1
             else None} for i, m in enumerate(names)]


def write_table(rows: list[dict], out_dir: str | Path, *, name: str = "benchmark", meta: dict | None = None) -> dict:
    """Write ``name.json`` (rows, means, paired tests) and ``name.csv`` (rows) atomically."""
    import csv
    import io

    out_dir = Path(out_dir)
    rows = sorted(rows, key=lambda r: (r["dataset"], _model_order(r["model"])))
    # the paper's tests compare one size of each architecture (medium; else the commonest size) and the baselines
    sizes = [r["size"] for r in rows if r["kind"] == "deep"]
    main = "medium" if "medium" in sizes or not sizes else max(sorted(set(sizes)), key=sizes.count)
    medium = sorted({r["model"] for r in rows if r["size"] in (main, None)}, key=_model_order)
    doc = {
        "meta": meta or {},
        "rows": rows,
        "summary": {m: summarize(rows, m) for m in ("auroc", "auprc")},
        "tests": {m: paired_tests(rows, m, medium) for m in ("auroc", "auprc")},
    }
    atomic_write_json(out_dir / f"{name}.json", doc)
    buf = io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(out_dir / f"{name}.csv", buf.getvalue())
    return doc


def load_table(path: str | Path | None = None) -> dict:
    """The document :func:`write_table` wrote: ``path`` is its JSON file or the
    directory holding ``benchmark.json`` (default :data:`RESULTS_DIR`, the
    committed ten-TF table; :data:`SIZES_DIR` holds the size comparison)."""
    path = Path(path or RESULTS_DIR)
    return json.loads((path / "benchmark.json" if path.is_dir() else path).read_text())


def _main_models(doc: dict) -> list[str]:
    """The models the paired tests compare (one size of each architecture, then the baselines)."""
    return list(dict.fromkeys([t["a"] for t in doc["tests"]["auroc"]] + [t["b"] for t in doc["tests"]["auroc"]]))


def table2(doc: dict, metric: str = "auroc", *, digits: int = 3):
    """The paper's Table 2 analog (chapter 05): one row per dataset, one column per
    compared model, each cell ``value [lo, hi]`` (bootstrap 95% CI); last row the
    mean over datasets.

    Parameters
    ----------
    doc : dict
        :func:`load_table` output.
    metric : "auroc" or "auprc"

    Returns
    -------
    pandas.DataFrame, shape (n_datasets + 1, n_models), strings
    """
    import pandas as pd

    models = _main_models(doc)
    cells: dict[str, dict[str, str]] = {}
    for r in doc["rows"]:
        if r["model"] in models:
            cells.setdefault(r["dataset"], {})[r["model"]] = (
                f"{r[metric]:.{digits}f} [{r[f'{metric}_lo']:.{digits}f}, {r[f'{metric}_hi']:.{digits}f}]")
    means = {s["model"]: s for s in doc["summary"][metric]}
    cells["mean"] = {m: f"{means[m]['mean']:.{digits}f} (n={means[m]['n']})" for m in models if m in means}
    return pd.DataFrame.from_dict(cells, orient="index").reindex(columns=models).fillna("-")


def tests_table(doc: dict, metric: str = "auroc"):
    """The paired tests of :func:`write_table` as a table (chapter 05): one row per
    pair of models, with the mean difference, wins, t-test and Wilcoxon p-values.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    cols = ["a", "b", "n", "mean_diff", "a_wins", "t", "p_t", "w", "p_wilcoxon"]
    return pd.DataFrame(doc["tests"][metric]).reindex(columns=cols)


def claims(doc: dict, metric: str = "auroc", *, alpha: float = 0.05) -> dict[tuple[str, str], str]:
    """For every tested pair ``(a, b)``: ``"a > b"``, ``"a < b"`` (paired t-test
    two-tailed p < ``alpha``, sign of the mean difference) or ``"no difference"``.

    The paper's Table 2 claims, checked here in chapter 05: every deep model beats
    the PWM baseline, and CNN-RNN > CNN > RNN.
    """
    out = {}
    for t in doc["tests"][metric]:
        p = t.get("p_t")
        out[t["a"], t["b"]] = ("no difference" if p is None or not p < alpha
                               else f"{t['a']} > {t['b']}" if t["mean_diff"] > 0 else f"{t['a']} < {t['b']}")
    return out


#: The paper's Table 2 conclusions, each (better, worse) by a two-tailed paired t-test over TFs:
#: every deep model beats the PWM baseline, the CNN beats the RNN, the CNN-RNN beats the CNN.
PAPER_CLAIMS = (("cnn-medium", "pwm"), ("rnn-medium", "pwm"), ("cnn-rnn-medium", "pwm"),
                ("cnn-medium", "rnn-medium"), ("cnn-rnn-medium", "cnn-medium"))


def paper_claims(doc: dict, metric: str = "auroc", *, alpha: float = 0.05):
    """Each of :data:`PAPER_CLAIMS` checked on this table (chapter 05).

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``claim`` ("better > worse"), ``n`` (TFs),
        ``mean_diff`` (better minus worse), ``wins`` (TFs where better is
        higher), ``p_t``, ``p_wilcoxon`` and ``holds`` (paired t-test p <
        ``alpha`` in the claimed direction).  A pair the table lacks is
        missing from the result.
    """
    import pandas as pd

    tests = {(t["a"], t["b"]): t for t in doc["tests"][metric]}
    out = []
    for better, worse in PAPER_CLAIMS:
        t, sign = (tests[better, worse], 1) if (better, worse) in tests else (tests.get((worse, better)), -1)
        if t is None:
            continue
        diff = sign * t["mean_diff"] if t["mean_diff"] is not None else None
        wins = t["a_wins"] if sign == 1 else t["n"] - t["a_wins"] - _ties(doc, metric, better, worse)
        p = t.get("p_t")
        out.append({"claim": f"{better} > {worse}", "n": t["n"], "mean_diff": diff, "wins": wins, "p_t": p,
                    "p_wilcoxon": t.get("p_wilcoxon"),
                    "holds": bool(p is not None and p < alpha and diff is not None and diff > 0)})
    return pd.DataFrame(out)


def _ties(doc: dict, metric: str, a: str, b: str) -> int:
    _, names, V = _wide(doc["rows"], metric)
    x, y = V[:, names.index(a)], V[:, names.index(b)]
    return int(np.sum(x == y))


def baseline_wins(doc: dict, metric: str = "auroc", *, size: str = "medium"):
    """On how many datasets each deep model of ``size`` beats each baseline (chapter 05).

    Returns
    -------
    pandas.DataFrame
        One row per architecture: ``n`` (datasets with the model and both
        baselines), ``beats_pwm``, ``beats_kmer``, ``beats_both`` (strictly
        higher ``metric``) and ``not_both`` (the datasets where it does not
        beat both, comma-separated, "" if none).
    """
    import pandas as pd

    from .architectures import ARCHITECTURES

    val = {(r["dataset"], r["model"]): r[metric] for r in doc["rows"]}
    out = []
    for arch in ARCHITECTURES:
        model = f"{arch}-{size}"
        ds = sorted(d for d, m in val if m == model and all((d, b) in val for b in BASELINES))
        if not ds:
            continue
        beats = {b: [d for d in ds if val[d, model] > val[d, b]] for b in BASELINES}
        both = [d for d in ds if all(d in beats[b] for b in BASELINES)]
        out.append({"model": model, "n": len(ds), "beats_pwm": len(beats["pwm"]), "beats_kmer": len(beats["kmer"]),
                    "beats_both": len(both), "not_both": ", ".join(d for d in ds if d not in both)})
    return pd.DataFrame(out)


def multi_size_datasets(rows: list[dict]) -> list[str]:
    """The datasets whose deep models were trained in more than one size (the size comparison's), sorted."""
    sizes: dict[str, set] = {}
    for r in rows:
        if r["kind"] == "deep":
            sizes.setdefault(r["dataset"], set()).add(r["size"])
    return sorted(d for d, s in sizes.items() if len(s) > 1)


def sizes_table(doc: dict, metric: str = "auroc"):
    """Every size of every architecture on the datasets trained in more than one size (chapter 05;
    the committed size comparison is ``load_table(SIZES_DIR)``).

    Returns
    -------
    pandas.DataFrame
        Index (dataset, architecture), one column per size that any of
        them was trained in, in :data:`demolib.architectures.SIZES` order
        (NaN where that one was not), then ``best`` (the size with the
        highest ``metric``; the smaller size on a tie).
    """
    import pandas as pd

    from .architectures import ARCHITECTURES, SIZES

    deep = [r for r in doc["rows"] if r["kind"] == "deep"]
    multi = sorted({r["dataset"] for r in deep if r["size"] != "medium"})
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for r in deep:
        if r["dataset"] in multi:
            cells.setdefault((r["dataset"], r["arch"]), {})[r["size"]] = r[metric]
    keys = sorted(cells, key=lambda k: (k[0], list(ARCHITECTURES).index(k[1])))
    df = pd.DataFrame([cells[k] for k in keys], index=pd.MultiIndex.from_tuples(keys, names=["dataset", "arch"]))
    df = df.reindex(columns=[s for s in SIZES if s in df.columns])
    df["best"] = [max(df.columns[row.notna()], key=lambda s, row=row: (row[s], -SIZES.index(s))) for _, row in df.iterrows()]
    return df


def grid_table(doc: dict, root: str | Path | None = None, *, size: str = "medium"):
    """The tuning grid behind the table (chapter 05): for every deep model of
    ``size``, the best validation AUROC and the test AUROC of its run at each
    learning-rate scale, and the scale the table chose (on validation alone:
    the test columns are shown, never used).

    Parameters
    ----------
    doc : dict
        :func:`load_table` output (its ``meta.jobs`` name the runs).
    root : directory of the checkpoints (default ``data/checkpoints``)

    Returns
    -------
    pandas.DataFrame
        Index (dataset, arch); columns ``("valid", scale)`` and ``("test",
        scale)`` for every scale of the grid, then ``("chosen", "")``.
    """
    import pandas as pd

    from .architectures import ARCHITECTURES

    root = Path(root) if root is not None else data.DATA_DIR / "checkpoints"
    chosen = {(r["dataset"], r["arch"]): r["lr_scale"] for r in doc["rows"]
              if r["kind"] == "deep" and r["size"] == size}
    cells: dict[tuple[str, str], dict] = {}
    for j in (Job(**d) for d in doc["meta"]["jobs"]):
        if (j.dataset, j.arch) in chosen and j.size == size:
            metrics = json.loads((root / j.key / "checkpoint.json").read_text())["metrics"]
            cell = cells.setdefault((j.dataset, j.arch), {("chosen", ""): chosen[j.dataset, j.arch]})
            cell["valid", j.lr_scale] = metrics["valid"]["auroc"]
            cell["test", j.lr_scale] = metrics["test"]["auroc"]
    keys = sorted(cells, key=lambda k: (k[0], list(ARCHITECTURES).index(k[1])))
    df = pd.DataFrame([cells[k] for k in keys], index=pd.MultiIndex.from_tuples(keys, names=["dataset", "arch"]))
    scales = sorted({c[1] for c in df.columns if c[0] == "valid"})
    cols = pd.MultiIndex.from_tuples([(m, x) for m in ("valid", "test") for x in scales] + [("chosen", "")])
    return df.reindex(columns=cols)


def grid_summary(grid):
    """What the tuning grid did, per architecture (chapter 05).

    Parameters
    ----------
    grid : :func:`grid_table` output

    Returns
    -------
    pandas.DataFrame
        One row per architecture: ``models``; ``chose <scale>`` (how many
        models kept the run at that scale); ``test <scale>`` (mean test
        AUROC had every model been trained at that scale only); ``test
        chosen`` (the table's mean); ``test agrees`` (models whose chosen run
        also has the highest test AUROC of its grid, ties included).
    """
    import pandas as pd

    scales = list(grid["valid"].columns)
    chosen = grid["chosen", ""]
    picked_test = pd.Series([grid.loc[i, ("test", x)] for i, x in chosen.items()], index=grid.index)
    df = pd.DataFrame({"models": 1, **{f"chose {x:g}x": chosen == x for x in scales},
                       **{f"test {x:g}x": grid["test", x] for x in scales}, "test chosen": picked_test,
                       "test agrees": picked_test >= grid["test"].max(axis=1)}, index=grid.index)
    agg = {c: ("mean" if c.startswith("test ") and c != "test agrees" else "sum") for c in df.columns}
    return df.groupby(level="arch", sort=False).agg(agg)


def describe_machine() -> dict:
    """What the timing numbers were measured on."""
    import platform

    import torch

    return {"cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def job_dicts(jobs: list[Job]) -> list[dict]:
    """Jobs as plain dicts (for JSON)."""
    return [asdict(j) for j in jobs]
