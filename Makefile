# roomgate: the two commands are `make run` and `make test` (see README.md).
BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
CONFIG     ?= config/roomgate.jsonc
FUZZ_SECONDS ?= 30

.PHONY: all build run test deps deps-test npm-test configure-test fuzz tsan bench docker-check clean

all: build

deps:
	@scripts/deps.sh build runtime

deps-test:
	@scripts/deps.sh build runtime test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOMGATE_TESTS=OFF

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/roomgate --config $(CONFIG)

npm-test:
	cd tests/integration && npm ci --no-audit --no-fund --loglevel=error

configure-test:
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROOMGATE_SANITIZE=ON -DROOMGATE_TESTS=ON

test: deps-test npm-test configure-test
	cmake --build $(TEST_BUILD) -j$(JOBS)
	cd $(TEST_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j$(JOBS)

# libFuzzer binaries (clang) for every tests/fuzz/fuzz_*.c, each run FUZZ_SECONDS.
fuzz: deps-test
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROOMGATE_TESTS=ON -DROOMGATE_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	@for f in $(FUZZ_BUILD)/tests/fuzz_*_libfuzzer; do \
		name=$$(basename $$f _libfuzzer); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$name && cp $$corpus/* $(FUZZ_BUILD)/corpus/$$name/; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_BUILD)/corpus/$$name || exit 1; \
	done

# The unit tests of threaded code (the mixer's helper threads) under
# ThreadSanitizer (clang); a race fails the run.
TSAN_TESTS ?= test_mixer
empty :=
space := $(empty) $(empty)
tsan: deps-test
	CC=clang cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOMGATE_TSAN=ON -DROOMGATE_TESTS=ON -DROOMGATE_BENCH=OFF
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R 'unit\.($(subst $(space),|,$(strip $(TSAN_TESTS))))$$'

bench: deps-test npm-test build
	tests/bench/run.sh $(BUILD)

# Verifies the Docker recipe without a Docker engine (docs/deployment.md).
docker-check: deps-test build
	docker/check.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
