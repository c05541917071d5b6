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

# The Lua component, as the rockspec installs it (cmake --install
# --component lua): pop3.lua, pop3/netx.lua, pop3/cosocket.lua and the
# core module, loadable from the install alone.
if grep -q "COMPONENT lua" "$src/lua/CMakeLists.txt" &&
   [ -d "$build/lua" ]; then
    cmake --install "$build" --component lua --prefix "$tmp/lua" >/dev/null
    for v in 5.4 5.1; do
        for f in pop3.lua pop3/netx.lua pop3/cosocket.lua; do
            [ -f "$tmp/lua/share/lua/$v/$f" ] ||
                { echo "lua component: $v/$f not installed"; exit 1; }
        done
        core=$(ls "$tmp"/lua/lib*/lua/$v/pop3/core.so 2>/dev/null | head -1)
        [ -n "$core" ] || { echo "lua component: $v core.so missing"; exit 1; }
    done
    cmod=$(dirname "$(dirname "$(ls "$tmp"/lua/lib*/lua/5.4/pop3/core.so)")")
    LUA_PATH="$tmp/lua/share/lua/5.4/?.lua" LUA_CPATH="$cmod/?.so" \
        lua5.4 -e 'assert(require("pop3")._VERSION)
                   assert(require("pop3.cosocket").connect)
                   assert(require("pop3.netx"))' ||
        { echo "lua component: installed modules do not load"; exit 1; }
    echo "lua component (pop3, pop3.netx, pop3.cosocket): ok"
fi

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
