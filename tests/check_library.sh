#!/bin/sh
# The shared library exports the public API only, carries a versioned
# SONAME, and has no writable data of its own (no mutable globals).
#   check_library.sh LIBRARY OBJECT...
set -eu
lib=$1
shift
fail=0

# 1. Exported (defined, dynamic) symbols: public prefixes only (pop3_ and
#    the NetX-style API of nx_pop3_client.h).
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' |
      grep -v -E '^(pop3_|nx_pop3_|nxd_pop3_|nx_packet_|nx_ip_|nx_tcp_|_init$|_fini$)' |
      grep -v -E '^(LIBPOP3|_end|_edata|__bss_start)' || true)
if [ -n "$bad" ]; then
    echo "not public API but exported:"; echo "$bad"; fail=1
fi
count=$(nm -D --defined-only "$lib" | grep -c ' T pop3_' || true)
echo "exported pop3_ functions: $count"
[ "$count" -ge 30 ] || { echo "too few exports"; fail=1; }

# 2. SONAME carries the major version.
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
echo "SONAME: $soname"
case "$soname" in libpop3.so.[0-9]*) ;; *) echo "bad SONAME"; fail=1 ;; esac

# 3. No object of ours has a writable .data or .bss section.
for o in "$@"; do
    objdump -h "$o" | awk -v o="$o" '
        $2 ~ /^\.(data|bss)(\.|$)/ && $2 !~ /^\.data\.rel\.ro/ &&
        $3 !~ /^0+$/ { print o ": writable section " $2 " size 0x" $3; bad = 1 }
        END { exit bad }' || fail=1
done
[ $fail -eq 0 ] && echo "library checks passed"
exit $fail
