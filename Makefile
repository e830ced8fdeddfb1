# Quick start: `make demo` and `make test`. Both create .venv with the locked dependencies when missing.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test demo install npm browser clean

install: $(STAMP) npm

# Each step says what it does first, and pip shows what it collects: the whole install takes minutes, once.
$(STAMP): requirements.lock pyproject.toml
	@echo "make: installing the locked dependencies into $(VENV) (a few minutes, once; again only when requirements.lock or pyproject.toml changes)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "make: installing requirements.lock (jax, keras, opencv, ...)"
	$(BIN)/pip install -r requirements.lock
	# mediapipe's wheel carries the Holistic models; --no-deps keeps GUI OpenCV (libGL) out.
	@echo "make: installing mediapipe 0.10.21"
	$(BIN)/pip install --no-deps mediapipe==0.10.21
	@echo "make: installing signlstm itself (editable)"
	$(BIN)/pip install --quiet --no-deps -e .
	@echo "make: $(VENV) is ready"
	touch $(STAMP)

# The page's MediaPipe Holistic (@mediapipe/holistic: WebAssembly runtime and models), installed from the lock file
# and served by `signlstm serve` from node_modules: the page finds the landmarks itself.
npm: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@echo "make: installing the web page's MediaPipe Holistic from npm into node_modules (once)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web front end's end-to-end tests drive Debian's Chromium through chromedriver; the TLS test makes its
# certificates with openssl.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v openssl >/dev/null || { \
	  echo "make: installing Debian's chromium, chromium-driver and openssl with apt-get (for the browser tests; once)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver openssl \
	  >/dev/null; }

test: $(STAMP) npm browser
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/signlstm live --source demo/s08_stream.npy --headless --out out/demo.mp4 --strip out/demo.png

clean:
	rm -rf $(VENV) out node_modules
