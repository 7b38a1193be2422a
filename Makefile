# Loom — build, test and demo. Every target installs what it needs on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libdnnl-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config
MODEL ?= Tests/Fixtures/llava/tiny-84
IMAGES ?= Tests/Fixtures/llava/images/coffee.jpg Tests/Fixtures/llava/images/chelsea.jpg
PROMPT ?= What differs between <image> and <image>?

.PHONY: deps build release test demo clean fixtures

## deps: install the Debian packages Loom links against (only those missing).
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

## test: build and run every test (unit, reference parity, end-to-end CLI).
test: deps release fixtures
	LOOM_BINARY=$$(pwd)/.build/release/loom $(SWIFT) test

## demo: the main job — a multi-image question on real photographs with the bundled tiny model
## (its weights are random, so the answer is noise; MODEL=DIR runs real weights, e.g. llava-interleave-qwen-0.5b-hf).
demo: release
	.build/release/loom generate --model $(MODEL) --prompt "$(PROMPT)" $(foreach i,$(IMAGES),--image $(i)) --max-tokens 32

clean:
	rm -rf .build
