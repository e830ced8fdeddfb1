# Quick start: `make demo` and `make test`. Both create .venv with the locked dependencies when missing.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test demo install clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	# mediapipe's wheel carries the Holistic models; --no-deps keeps GUI OpenCV (libGL) out.
	$(BIN)/pip install --quiet --no-deps mediapipe==0.10.21
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/signlstm evaluate --data ../shared/data/signers/s02.npz --plot out/demo_confusion.png

clean:
	rm -rf $(VENV) out
