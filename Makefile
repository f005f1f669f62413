# OpDesk — the two commands are `make run` and `make test` (see README.md).
# Every target installs missing dependencies first (scripts/install-deps is idempotent).
SHELL := /bin/bash
JOBS ?= 2
CMAKE_GEN := -G Ninja
REL := build/release
DBG := build/test
FUZZ := build/fuzz

.PHONY: all deps build web run test test-cpp test-web test-e2e replay-check bench fuzz package clean

all: build

deps:
	@scripts/install-deps --check || scripts/install-deps

web: deps
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi

build: deps web
	@cmake -S . -B $(REL) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DOPDESK_TESTS=OFF -DOPDESK_BENCH=OFF \
	  -DOPDESK_BIN_DIR=$(CURDIR)/build >/dev/null
	@cmake --build $(REL) -j $(JOBS) --target opdesk
	@echo "built build/opdesk"

run: build
	build/opdesk serve --demo $(ARGS)

test: deps
	@scripts/run-tests

test-cpp: deps
	@scripts/run-tests cpp

replay-check: build
	python3 ../shared/tools/replay_check.py

bench: deps
	@cmake -S . -B $(REL)-bench $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DOPDESK_TESTS=OFF -DOPDESK_BENCH=ON >/dev/null
	@cmake --build $(REL)-bench -j $(JOBS)
	@scripts/run-benches $(REL)-bench

fuzz: deps
	@CXX=clang++ CXXFLAGS="-fsanitize=fuzzer-no-link,address -fno-sanitize=function" cmake -S . -B $(FUZZ) $(CMAKE_GEN) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPDESK_FUZZ=ON -DOPDESK_TESTS=OFF -DOPDESK_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS) --target $$(cd fuzz && ls *_fuzz.cpp | sed 's/\.cpp//')
	@for f in $(FUZZ)/fuzz/*_fuzz; do mkdir -p $(FUZZ)/corpus/$$(basename $$f); \
	  $$f -max_total_time=$${FUZZ_SECONDS:-300} -timeout=60 $(FUZZ)/corpus/$$(basename $$f) fuzz/corpus/$$(basename $$f) || exit 1; done

# The .deb (CPack, Release build, web UI included): build/opdesk_<version>_<arch>.deb
package: deps web
	@cmake -S . -B $(REL) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DOPDESK_TESTS=OFF -DOPDESK_BENCH=OFF \
	  -DOPDESK_BIN_DIR=$(CURDIR)/build >/dev/null
	@cmake --build $(REL) -j $(JOBS) --target opdesk
	@cd $(REL) && cpack -G DEB -B $(CURDIR)/build/package >/dev/null
	@cp build/package/*.deb build/ && ls build/*.deb

clean:
	rm -rf build web/dist
