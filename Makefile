# Two commands do all set-up on a fresh machine with Python 3.11 and PyPI:
#   make book   -> creates .venv if missing, installs, builds the book into _build/html
#   make test   -> creates .venv if missing, installs, runs the unit tests and every chapter (nbval)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.demolib-installed
CHAPTERS = $(sort $(wildcard book/*.ipynb))
THREADS ?= 2

.PHONY: book test unit nbval browser execute checkpoints results bench clean help

help:
	@echo "make book   build the Jupyter Book (_build/html) from the committed, executed chapters"
	@echo "make test   unit tests + every chapter re-executed by nbval + browser checks"
	@echo "make execute      re-execute the chapters in place (RETRAIN=1 retrains inside them)"
	@echo "make checkpoints  retrain the committed checkpoints with the project's own CLI"
	@echo "make results      recompute data/results/*.json from the committed checkpoints"
	@echo "make bench        run the CPU benchmarks (bench/results/*.json)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
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

checkpoints: $(STAMP)
	for tf in MAFK POU5F1; do for a in cnn cnn-rnn rnn; do \
	  $(VENV)/bin/demo train --tf $$tf --arch $$a --out data/checkpoints/$$tf-$$a-medium --seed 0 --threads 1 --quiet || exit 1; \
	done; done
	for tf in synthetic-GATA1 synthetic-MAFK synthetic-NFYB; do for a in cnn cnn-rnn; do \
	  $(VENV)/bin/demo train --tf $$tf --arch $$a --out data/checkpoints/$$tf-$$a-medium --seed 0 --threads 1 --quiet || exit 1; \
	done; done

results: $(STAMP)
	$(PY) data/scripts/make_results.py

bench: $(STAMP)
	$(PY) bench/train_throughput.py --threads $(THREADS)
	for b in bench/interpret_speed.py bench/dashboard_speed.py; do test ! -f $$b || $(PY) $$b || exit 1; done

clean:
	rm -rf _build .pytest_cache
