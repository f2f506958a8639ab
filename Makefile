# Two commands do all the set-up:  make lab  (open the series)  and  make test  (run every test).
# Both create .venv on first use and install the project into it; later runs reuse it.
# The interpreter for .venv: the first of python3.11 (the version CI tests), python3.12, python3.13 on PATH.
PYTHON ?= $(firstword $(foreach v,3.11 3.12 3.13,$(shell command -v python$(v) 2>/dev/null)) python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab translate test test-fast install bench pretrained zoo-report present slides html site vendor diagrams lint lock clean-venv

# The tested versions of every package are pinned in constraints.txt (pyproject.toml holds ranges).
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11, 3.12 or 3.13, or name one: make PYTHON=/path/to/python3.12 ..."; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else f"{sys.executable} is Python {v[0]}.{v[1]}: the series supports 3.11 to 3.13; name one with make PYTHON=python3.12 ...")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c constraints.txt -e '.[lab,dev]'
	mkdir -p $(VENV)/etc/jupyter/jupyter_server_config.d   # vae_lib.jupyter_nodelay: widget updates ~40 ms sooner
	rm -f $(VENV)/etc/jupyter/jupyter_server_config.d/vae_tools.json   # the extension's old config (vae_tools.jupyter_nodelay)
	cp jupyter-config/jupyter_server_config.d/vae_lib.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root unless told; users are rarely root, containers often are.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

# The edition is an explicit choice: make lab EDITION=ko (한국어판), make present EDITION=ko; English otherwise.
# The system locale does not choose it; `make lab LANG=ko` typed on the command line is read as EDITION=ko.
EDITION ?= $(if $(and $(filter command line,$(origin LANG)),$(filter ko%,$(LANG))),ko,en)
ifeq ($(filter en ko,$(EDITION)),)
$(error EDITION must be en or ko; got '$(EDITION)')
endif
LAB_DIR  := $(if $(filter ko,$(EDITION)),notebooks/ko,notebooks)

lab: $(STAMP)
	cd $(LAB_DIR) && VAE_LIB_LANG=$(EDITION) $(abspath $(VENV))/bin/jupyter lab $(LAB_FLAGS) 00_start_here.ipynb

# Rebuild the Korean edition from the English notebooks and translations/ko/*.po (after `update` and
# translating what it reported), compile the app's catalog, and execute the built notebooks in order.
translate: $(STAMP)
	$(PY) -m vae_tools.translate update
	$(PY) -m vae_tools.translate compile
	$(PY) -m vae_tools.translate build
	for nb in notebooks/ko/[0-9][0-9]_*.ipynb; do \
	  VAE_LIB_LANG=ko OMP_NUM_THREADS=1 $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace "$$nb" || exit 1; done
	$(PY) -m vae_tools.translate check

# Lecture mode: every explorer in a code-free app (Voila) at http://127.0.0.1:8866, drawn for a projector;
# its kernel websockets send without Nagle's delay (vae_lib.jupyter_nodelay; Voila loads no server extensions)
PORT ?= 8866
present: $(STAMP)
	VAE_LIB_LANG=$(EDITION) $(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 --Voila.kernel_websocket_connection_class=vae_lib.jupyter_nodelay.NoDelayWebsocketConnection --port=$(PORT) lecture/app.ipynb

# Offline pages: the decks and the HTML copies load reveal.js, MathJax, require.js, jQuery, the widget
# renderer (@jupyter-widgets/html-manager) and the anywidget front end from a folder vendor/ next to them,
# by relative URLs, so that the output folder works with no network (file://, a USB stick). The npm packages
# are pinned in lecture/vendor/package-lock.json and installed by `make vendor` (npm ci; node_modules is
# git-ignored); anywidget's front end is the AMD bundle its Python package ships; lecture/vendor/offline.js
# configures MathJax 3 and tells requirejs where anywidget is; lecture/vendor/slides.html.j2 is nbconvert's
# reveal.js template without its mermaid import (from a CDN). The themes' web fonts are dropped (fallback fonts).
NPM          ?= npm
VENDOR       := lecture/vendor
NODE_MODULES := $(VENDOR)/node_modules
VENDOR_STAMP := $(NODE_MODULES)/.installed
# The edition's notebooks, each edition into its own folders (English: _build/slides, Korean: _build/ko/slides)
NOTEBOOKS    ?= $(LAB_DIR)/[0-9][0-9]_*.ipynb
BUILD_DIR    := _build$(if $(filter ko,$(EDITION)),/ko,)
SLIDES_DIR   ?= $(BUILD_DIR)/slides
HTML_DIR     ?= $(BUILD_DIR)/html
OFFLINE_URLS := --HTMLExporter.require_js_url=vendor/require.js --HTMLExporter.jquery_url=vendor/jquery.min.js \
                --HTMLExporter.mathjax_url=vendor/offline.js --HTMLExporter.widget_renderer_url=vendor/html-manager/embed-amd.js

$(VENDOR_STAMP): $(VENDOR)/package.json $(VENDOR)/package-lock.json
	@command -v $(NPM) >/dev/null || { echo "npm not found: install Node.js 20 (it fetches reveal.js, MathJax and the widget renderer once)"; exit 1; }
	cd $(VENDOR) && $(NPM) ci --no-audit --no-fund --ignore-scripts
	touch $@

vendor: $(VENDOR_STAMP)

# $(call copy_vendor,DIR): what the pages in DIR load, into DIR/vendor/
define copy_vendor
	rm -rf $(1)/vendor
	mkdir -p $(1)/vendor/html-manager
	cp $(VENDOR)/offline.js $(NODE_MODULES)/requirejs/require.js $(NODE_MODULES)/jquery/dist/jquery.min.js $(1)/vendor/
	cd $(NODE_MODULES)/@jupyter-widgets/html-manager/dist && cp embed-amd.js *.woff2 *.woff *.ttf *.eot *.svg $(abspath $(1))/vendor/html-manager/
	cp -R $(NODE_MODULES)/mathjax/es5 $(1)/vendor/mathjax
	cp "$$($(PY) -c 'import anywidget, pathlib; print(pathlib.Path(anywidget.__file__).parent / "nbextension" / "index.js")')" $(1)/vendor/anywidget.js
endef

# Static slide decks (reveal.js) of every notebook, from their slide metadata, into _build/slides/ (offline)
slides: $(STAMP) $(VENDOR_STAMP)
	$(VENV)/bin/jupyter nbconvert --to slides --template-file $(VENDOR)/slides.html.j2 --output-dir $(SLIDES_DIR) \
		$(OFFLINE_URLS) --SlidesExporter.reveal_url_prefix=vendor/reveal.js $(NOTEBOOKS)
	$(call copy_vendor,$(SLIDES_DIR))
	mkdir -p $(SLIDES_DIR)/vendor/reveal.js/plugin
	cp -R $(NODE_MODULES)/reveal.js/dist $(SLIDES_DIR)/vendor/reveal.js/
	cp -R $(NODE_MODULES)/reveal.js/plugin/notes $(SLIDES_DIR)/vendor/reveal.js/plugin/
	sed -i.orig '/@import url(https:/d' $(SLIDES_DIR)/vendor/reveal.js/dist/theme/*.css  # web fonts: use the fallbacks
	rm -f $(SLIDES_DIR)/vendor/reveal.js/dist/theme/*.orig

# A static reading copy: HTML with the saved widget state embedded (widgets show their last state; in-page
# explorers keep working: their sliders still move the image), into _build/html/ (offline)
html: $(STAMP) $(VENDOR_STAMP)
	$(VENV)/bin/jupyter nbconvert --to html --output-dir $(HTML_DIR) $(OFFLINE_URLS) $(NOTEBOOKS)
	$(call copy_vendor,$(HTML_DIR))

# The website: both editions as Jupyter Book 1 books (site/: config, table of contents, language switch) with
# every notebook's saved outputs and widget state (never executed here), navigation, search per edition and a
# switch to the same chapter in the other edition, into _build/site/ (en/, ko/, index.html and the shared vendor/):
# it works from file:// and from any static host, with no network (in-page explorers keep working).
SITE_DIR  ?= _build/site
SITE_WORK ?= _build/site-work
site: $(STAMP) $(VENDOR_STAMP)
	$(PY) site/build.py --out $(SITE_DIR) --work $(SITE_WORK)
	$(call copy_vendor,$(SITE_DIR))

test: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

# The edit loop: the unit tests without servers, browsers, builds, notebooks or the real data set (under a minute,
# on a machine without MNIST too: they read a synthetic data set, tests/synthetic.py).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser and not notebooks and not mnist" tests

# Re-pin constraints.txt to what .venv holds now (after changing pyproject.toml's ranges on purpose), without the
# platform-specific packages that torch pulls in on a CUDA machine (nvidia-*, cuda-*, triton: torch pins those itself).
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' | grep -viE '^(nvidia-|triton==|cuda-)' > constraints.txt

bench: $(STAMP)
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/widget_latency.py

# Retrain every model of the zoo from scratch into vae_lib/pretrained (about 45 CPU-minutes; a GPU is used
# when there is one). One model: make pretrained MODELS=vae-2d; a quick look that leaves the zoo alone:
# make pretrained ARGS="--epochs 1 --limit 2000 --out /tmp/zoo". On a busy shared CPU add --threads 1.
pretrained: $(STAMP)
	$(PY) -m vae_lib.zoo build $(MODELS) $(ARGS)

# Re-evaluate every shipped model from its file and print the table of models (and manifest vs now).
zoo-report: $(STAMP)
	$(PY) -m vae_lib.zoo verify

# The diagrams the notebooks show (assets/figures/, English and Korean), drawn by vae_tools/diagrams.py
diagrams: $(STAMP)
	$(PY) -m vae_tools.diagrams

lint: $(STAMP)
	$(VENV)/bin/ruff check vae_lib vae_tools tests benchmarks notebooks

clean-venv:
	rm -rf $(VENV)
