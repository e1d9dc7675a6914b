# The two set-up commands:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
# On the ganforge CI / dev machines torch==2.13.0 is a CPU build on local disk.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
DEMO_STEPS ?= 3000

.PHONY: demo test test-fast prepare-test-machine install install-dev clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e ".[dev]"
	# torch-fidelity: the independent Inception used by tests/metrics/test_inception_reference.py.
	# --no-deps: it declares torchvision, which could replace the CPU torch; --target: kept off
	# sys.path, because torchmetrics imports torch_fidelity whenever it can find it (and then torchvision).
	$(BIN)/python -m pip install -q --no-deps --upgrade --target $(VENV)/reference/torch-fidelity "torch-fidelity==0.4.0"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/ganforge train --preset mnist-dcgan --name demo --overwrite --set train.steps=$(DEMO_STEPS)
	@echo "Open runs/demo/report.html to see the samples and loss curves."

# System packages the tests need (Fashion-MNIST, emoji font, chromium, g++): installed when
# missing (as root), else one line says what to install.  Quick when all is present.
prepare-test-machine:
	scripts/prepare-test-machine.sh

test: prepare-test-machine $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# The suite without the end-to-end tests marked slow (a few minutes less).
test-fast: prepare-test-machine $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow"
