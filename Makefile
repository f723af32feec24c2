# Two commands do all set-up on a fresh machine with Python 3.11 and PyPI:
#   make book   -> creates .venv if missing, installs, builds the book into _build/html
#   make test   -> creates .venv if missing, installs, runs the unit tests and every chapter (nbval)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.demolib-installed
CHAPTERS = $(sort $(wildcard book/*.ipynb))
THREADS ?= 2
LOCK    = requirements.lock
PIP_VERSION = 26.3
PIPTOOLS_VERSION = 7.6.2

.PHONY: book test unit nbval browser execute checkpoints results dashboard-data bench clean help lock

help:
	@echo "make book   build the Jupyter Book (_build/html) from the committed, executed chapters"
	@echo "make test   unit tests + every chapter re-executed by nbval + browser checks"
	@echo "make execute      re-execute the chapters in place (RETRAIN=1 retrains inside them)"
	@echo "make checkpoints  retrain the committed checkpoints with the project's own CLI"
	@echo "make results      recompute data/results/*.json from the committed checkpoints"
	@echo "make dashboard-data  precompute the static site's dashboard (book/_static/dashboard; FORCE=1 recomputes all)"
	@echo "make bench        run the CPU benchmarks (bench/results/*.json)"
	@echo "make lock         resolve new or changed requirements into $(LOCK) (UPGRADE=1: everything to the newest)"

# Installs exactly the versions in $(LOCK) (every package, direct and transitive),
# then demolib itself without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m demolib.motifs --warm-up
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going --quiet
	@echo "open _build/html/index.html"

unit: $(STAMP)
	$(PY) -m pytest tests -q

nbval: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env --nbval-sanitize-with book/sanitize.cfg book -q

test: $(STAMP)
	$(PY) -m pytest tests $(if $(CHAPTERS),--nbval-lax --nbval-current-env --nbval-sanitize-with book/sanitize.cfg book) -q

execute: $(STAMP)
	for nb in $(CHAPTERS); do DEMO_THREADS=1 $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 $$nb || exit 1; done

# The ten real TFs x three medium architectures, each at 1x and 3x its default learning rate
# (Table 2 keeps the better on validation), then small, medium and large on three
# TFs at the default learning rate (the size comparison), through `demo benchmark` (resumable,
# JOBS processes of one thread; the two share the medium checkpoints), then the synthetic sets.
# The grammar set (chapter 04): every model gets 12 rounds of 10 passes (the CNN-RNN sits at
# chance for 60-70 passes before it learns the rule), the same budget for all three.
BENCH_TFS = ARID3A,ELK1,FOXA1,GABPA,MAFK,MYC,POU5F1,SP1,USF1,ZBTB7A
JOBS ?= 2
GRAMMAR_BUDGET = --epochs 12 --min-epochs 12 --min-samples 576000 --max-samples 0
checkpoints: $(STAMP)
	$(VENV)/bin/demo benchmark --tfs $(BENCH_TFS) --archs cnn,rnn,cnn-rnn --sizes medium --lr-scales 1,3 \
	  --out data/checkpoints --results data/results/benchmark --jobs $(JOBS) --threads 1
	$(VENV)/bin/demo benchmark --tfs GABPA,MYC,ELK1 --archs cnn,rnn,cnn-rnn --sizes small,medium,large \
	  --out data/checkpoints --results data/results/benchmark-sizes --jobs $(JOBS) --threads 1
	for tf in synthetic-GATA1 synthetic-MAFK synthetic-NFYB; do for a in cnn cnn-rnn; do \
	  $(VENV)/bin/demo train --tf $$tf --arch $$a --out data/checkpoints/$$tf-$$a-medium --seed 0 --threads 1 --quiet || exit 1; \
	done; done
	for m in cnn:small cnn:medium cnn-rnn:medium; do a=$${m%:*}; s=$${m#*:}; \
	  $(VENV)/bin/demo train --tf synthetic-grammar --arch $$a --size $$s --out data/checkpoints/synthetic-grammar-$$a-$$s \
	  --seed 0 --threads 1 --quiet $(GRAMMAR_BUDGET) || exit 1; \
	done

results: $(STAMP)
	$(PY) data/scripts/make_results.py

# The kernel-free dashboard of the static site (committed; `make book` only copies it).
# Resumable: datasets whose file exists are kept unless FORCE=1.
dashboard-data: $(STAMP)
	$(PY) -m demolib.static_dashboard $(if $(FORCE),--force) --threads 1

bench: $(STAMP)
	$(PY) bench/train_throughput.py --threads $(THREADS)
	for b in bench/interpret_speed.py bench/dashboard_speed.py bench/attribution_speed.py bench/static_dashboard.py \
	  bench/parallel_training.py bench/benchmark_time.py; do test ! -f $$b || $(PY) $$b || exit 1; done
	$(PY) bench/deepbind_train.py

# pip-tools resolves pyproject.toml (all extras excluded) into the lock; pip
# finds the local CPU build of torch this way, where uv would not.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIPTOOLS_VERSION)
	$(VENV)/bin/pip-compile --quiet $(if $(UPGRADE),--upgrade) --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links -o $(LOCK) pyproject.toml
	@echo "$(LOCK) refreshed: run 'make execute' so the committed chapters match it"

clean:
	rm -rf _build .pytest_cache
