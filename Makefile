# Quick start: `make demo` and `make test`. Both create .venv with the locked dependencies when missing.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test demo install browser clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	# mediapipe's wheel carries the Holistic models; --no-deps keeps GUI OpenCV (libGL) out.
	$(BIN)/pip install --quiet --no-deps mediapipe==0.10.21
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The web front end's end-to-end test drives Debian's Chromium through chromedriver.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: $(STAMP) browser
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/signlstm live --source demo/rohan937_hello_thanks_iloveyou.npy --headless --out out/demo.mp4 --strip out/demo.png

clean:
	rm -rf $(VENV) out
