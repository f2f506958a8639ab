# Two commands do all the set-up:  make lab  (open the series)  and  make test  (run every test).
# Both create .venv on first use and install the project into it; later runs reuse it.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test install bench pretrained lint clean-venv

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3 ..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/00_start_here.ipynb

test: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

bench: $(STAMP)
	$(PY) benchmarks/train_speed.py

lint: $(STAMP)
	$(VENV)/bin/ruff check vae_lib tests benchmarks

clean-venv:
	rm -rf $(VENV)
