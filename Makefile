# Convenience wrapper around CMake.  Every target installs what is missing
# first (scripts/install-deps is quick when all is there).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps build test test-fast test-asan test-clang demo bench clean

all: build

deps:
	./scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

# Every test, then the C tests again under ASan and UBSan, then a
# warning-free build of the C code with clang.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-clang

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	    -DPOP3_SANITIZE=address,undefined -DPOP3_BINDINGS=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -L c

test-clang: deps
	cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DPOP3_BINDINGS=OFF \
	    $(CMAKE_ARGS)
	cmake --build build-clang -j$(JOBS)

demo: build
	./scripts/demo $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-clang
