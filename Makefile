# Two commands do all the set-up:  make lab  (open the series)  and  make test  (run every test).
# Both create .venv on first use and install the project into it; later runs reuse it.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test test-fast install bench pretrained zoo-report present slides html diagrams lint lock clean-venv

# The tested versions of every package are pinned in constraints.txt (pyproject.toml holds ranges).
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3 ..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c constraints.txt -e '.[lab,dev]'
	mkdir -p $(VENV)/etc/jupyter/jupyter_server_config.d   # vae_tools.jupyter_nodelay: widget updates ~40 ms sooner
	cp jupyter-config/jupyter_server_config.d/vae_tools.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root unless told; users are rarely root, containers often are.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter lab $(LAB_FLAGS) 00_start_here.ipynb

# Lecture mode: every explorer in a code-free app (Voila) at http://127.0.0.1:8866
PORT ?= 8866
present: $(STAMP)
	$(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 --port=$(PORT) lecture/app.ipynb

# Static slide decks (reveal.js) of every notebook, from their slide metadata, into _build/slides/
slides: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to slides --output-dir _build/slides notebooks/*.ipynb

# A static reading copy: HTML with the saved widget state embedded (widgets show their last state)
html: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to html --output-dir _build/html notebooks/*.ipynb

test: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

# The edit loop: the unit tests without servers, browsers, builds or notebooks (under a minute).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser and not notebooks" tests

# Re-pin constraints.txt to what .venv holds now (after changing pyproject.toml's ranges on purpose).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

bench: $(STAMP)
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/widget_latency.py

# Retrain every model of the zoo from scratch into assets/checkpoints (about 45 CPU-minutes; a GPU is used
# when there is one). One model: make pretrained MODELS=vae-2d; a quick look that leaves assets/ alone:
# make pretrained ARGS="--epochs 1 --limit 2000 --out /tmp/zoo". On a busy shared CPU add --threads 1.
pretrained: $(STAMP)
	$(PY) -m vae_lib.zoo build $(MODELS) $(ARGS)

# Re-evaluate every shipped model from its file and print the table of models (and manifest vs now).
zoo-report: $(STAMP)
	$(PY) benchmarks/zoo_report.py

# The diagrams the notebooks show (assets/figures/, English and Korean), drawn by vae_tools/diagrams.py
diagrams: $(STAMP)
	$(PY) -m vae_tools.diagrams

lint: $(STAMP)
	$(VENV)/bin/ruff check vae_lib tests benchmarks notebooks

clean-venv:
	rm -rf $(VENV)
