#!/bin/sh
# Install into a private prefix, then build a program the way users do:
# with pkg-config, and with CMake's find_package.  Also compile the public
# header alone as strict C99 and as C++.
#   check_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d /tmp/pop3install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
libdir=$(dirname "$libdir")

# pkg-config, from the installed .pc file
PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --exists libpop3
cflags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags libpop3)
libs=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --libs libpop3)
# shellcheck disable=SC2086
cc -Wall -Wextra -Werror $cflags "$src/examples/c/fetch.c" -o "$tmp/fetch" $libs
# without arguments it prints its usage and exits 2: it loads and runs
rc=0
LD_LIBRARY_PATH="$libdir" "$tmp/fetch" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "installed program failed to run ($rc)"; exit 1; }
echo "pkg-config build: ok"

# the header alone: strict C99, and C++
for h in "$tmp"/prefix/include/pop3/*.h; do
    printf '#include <pop3/%s>\nint main(void) { return 0; }\n' \
        "$(basename "$h")" > "$tmp/h.c"
    cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$tmp/prefix/include" \
        -c "$tmp/h.c" -o "$tmp/h.o"
    if command -v c++ >/dev/null; then
        c++ -x c++ -std=c++11 -pedantic -Wall -Wextra -Werror \
            -I"$tmp/prefix/include" -c "$tmp/h.c" -o "$tmp/h.o"
    fi
done
echo "headers alone (C99, C++): ok"

# CMake package
mkdir -p "$tmp/app"
cat > "$tmp/app/CMakeLists.txt" <<EOC
cmake_minimum_required(VERSION 3.18)
project(app C)
find_package(pop3 REQUIRED)
add_executable(fetch $src/examples/c/fetch.c)
target_link_libraries(fetch PRIVATE pop3::pop3)
EOC
cmake -S "$tmp/app" -B "$tmp/app/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    >/dev/null
cmake --build "$tmp/app/build" >/dev/null
echo "find_package(pop3) build: ok"
