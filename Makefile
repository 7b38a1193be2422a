# Loom — build, test and demo. Every target installs what it needs on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libdnnl-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config python3-venv curl
MODEL ?=
IMAGES ?= Tests/Fixtures/llava/images/coffee.jpg Tests/Fixtures/llava/images/chelsea.jpg
PROMPT ?= What differs between <image> and <image>?

# The Python clients the tests drive the server with (a venv of their own, pinned).
VENV := .venv
PYTHON_CLIENTS := openai==3.51.0 pytest==9.2.0 huggingface_hub==2.4.0

LMMS_VENV := .venv-lmms

# What PyTorch users load Loom's training outputs with (the round-trip tests of loom train), in .venv-train.
TRAIN_VENV := .venv-train
TRAIN_CLIENTS := torch==2.13.0+cpu transformers==5.24.0 peft==0.21.2 safetensors==0.8.0 pillow==13.0.0 pytest==9.2.0

.PHONY: deps build release test demo clean fixtures venv lmms-eval bench-data train-roundtrip tiny-model

## deps: install the Debian packages Loom links against, and python3-venv and curl for the client tests (only those missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product loom

## fixtures: unpack the committed, gzipped test fixtures (only when missing or older than the .gz).
TOKENIZER_JSON := Tests/Fixtures/tokenizer/qwen/tokenizer.json
fixtures: $(TOKENIZER_JSON)

$(TOKENIZER_JSON): $(TOKENIZER_JSON).gz
	gunzip -kf $<
	touch $@

## venv: the Python clients of the server tests (openai, pytest), in .venv.
venv: $(VENV)/.installed

$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q $(PYTHON_CLIENTS)
	touch $@

## test: build and run every test (unit, reference parity, end-to-end CLI, the server with real clients, lmms-eval).
test: deps release fixtures venv
	LOOM_BINARY=$$(pwd)/.build/release/loom $(SWIFT) test
	LOOM_BINARY=$$(pwd)/.build/release/loom $(VENV)/bin/python -m pytest -q Tests/Clients
	$(MAKE) train-roundtrip
	$(MAKE) lmms-eval

## train-roundtrip: adapters and checkpoints written by `loom train` load in PEFT / transformers with Loom's log-probabilities.
train-roundtrip: release $(TRAIN_VENV)/.installed
	LOOM_BINARY=$$(pwd)/.build/release/loom $(TRAIN_VENV)/bin/python -m pytest -q Tests/Training

$(TRAIN_VENV)/.installed: Makefile
	python3 -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install -q $(TRAIN_CLIENTS)
	touch $@

## lmms-eval: lmms-eval 0.7.3 (--model openai) runs a small interleave-style task against `loom serve`; its
## predictions must equal `loom generate`'s (tools/lmms_eval/run_against_serve.py).
lmms-eval: release venv $(LMMS_VENV)/.installed
	LOOM_BINARY=$$(pwd)/.build/release/loom $(VENV)/bin/python tools/lmms_eval/run_against_serve.py $(LMMS_VENV)/bin/lmms-eval

$(LMMS_VENV)/.installed: tools/lmms_eval/constraints.txt
	python3 -m venv $(LMMS_VENV)
	$(LMMS_VENV)/bin/pip install -q -c tools/lmms_eval/constraints.txt lmms-eval==0.7.3 rouge==1.0.1
	$(LMMS_VENV)/bin/pip uninstall -q -y torchvision
	touch $@

## demo: the main job — the model Loom trained itself (models/tiny-m4) answers a fresh sample of each M4 shape it has
## never seen (new seed each run): question, Loom's answer, the true answer. MODEL=DIR asks any checkpoint (e.g. a
## downloaded llava-interleave-qwen-0.5b-hf) a two-image question about real photographs instead.
demo: release
ifeq ($(strip $(MODEL)),)
	tools/demo.sh .build/release/loom models/tiny-m4
else
	.build/release/loom generate --model $(MODEL) --prompt "$(PROMPT)" $(foreach i,$(IMAGES),--image $(i)) --max-tokens 32
endif

## tiny-model: rebuild models/tiny-m4 from scratch through loom itself (synthetic M4 data → BPE tokenizer → fresh
## weights → single-image stage → mixed stage → held-out exact match per task); tens of minutes on 2 cores.
tiny-model: release
	tools/tiny_model/build.sh .build/release/loom build/tiny-m4

## bench-data: `loom data validate` on a 1 GB synthetic M4-Instruct file (peak RSS and time) beside Python's json.load.
bench-data: release
	python3 bench/data_memory.py

clean:
	rm -rf .build
