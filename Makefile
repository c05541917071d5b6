# Convenience wrapper around CMake.  Every target installs what is missing
# first (scripts/install-deps is quick when all is there).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps build test test-fast test-asan test-tsan test-clang fuzz demo bench bench-smoke clean

all: build

deps:
	./scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

# Every test (valgrind memcheck of the C suites included), then the C
# tests again under ASan and UBSan, the thread test under TSan, and a
# warning-free build of the C code with clang.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-tsan
	$(MAKE) test-clang

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	    -DPOP3_SANITIZE=address,undefined -DPOP3_BINDINGS=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -L c

test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug \
	    -DPOP3_SANITIZE=thread -DPOP3_BINDINGS=OFF $(CMAKE_ARGS)
	cmake --build build-tsan -j$(JOBS) --target test_threads test_stress_dovecot
	ctest --test-dir build-tsan --output-on-failure -L threads -E valgrind

test-clang: deps
	cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DPOP3_BINDINGS=OFF \
	    $(CMAKE_ARGS)
	cmake --build build-clang -j$(JOBS)

# Run each fuzz target with libFuzzer for FUZZ_SECONDS; new inputs are kept
# in build-fuzz/corpus-*, crashes as build-fuzz/crash-*.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = fuzz_engine fuzz_parse fuzz_capa fuzz_respcode fuzz_sasl \
    fuzz_session
fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPOP3_FUZZ=ON \
	    -DPOP3_SANITIZE=address,undefined -DPOP3_BINDINGS=OFF \
	    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link $(CMAKE_ARGS)
	cmake --build build-fuzz -j$(JOBS) --target $(FUZZ_TARGETS)
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus-$$t && \
	    (cd build-fuzz && ./tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	        corpus-$$t ../tests/fuzz/corpus/$$t) || exit 1; \
	done

demo: build
	./scripts/demo $(BUILD)

# libpop3 (C, Python, Lua) against poplib, curl and fetchmail on a loopback
# Dovecot (as root): bench/results.md and bench/results.png.  Several
# minutes; BENCH_SCALE=0.1 for a quick look.  bench-smoke: the tiny run
# that the CTest test bench_smoke makes, results under $(BUILD)/bench.
bench: build
	python3 bench/run_bench.py --build $(BUILD) --png

bench-smoke: build
	python3 bench/run_bench.py --build $(BUILD) --smoke

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-tsan build-clang build-fuzz
