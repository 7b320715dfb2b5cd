#!/bin/sh
# Gate between a host tool linked with -static (glibc, libstdc++) and build/static/bin:
# installs IN, stripped, as OUT only if the kernel alone can run it:
#   - no PT_INTERP (no dynamic loader) and no dynamic segment or section;
#   - `file` says "statically linked" (a static-pie would say "static-pie linked" and
#     still carry a dynamic section: this check wants neither);
#   - no glibc entry point that resolves names through NSS (getpwnam, getgrnam,
#     getaddrinfo, ...): in a static glibc program those dlopen libnss_*.so at run time,
#     which an image without a libc does not have.
# Not checked, because it cannot be told from the binary: static glibc always carries
# iconv's gconv loader (dlopen of gconv modules), reached only through iconv_open or a
# non-"C" locale. The tools never call setlocale, so they stay in the "C" locale; the
# scratch-image test runs them with no /usr at all. Prints the stripped size.
#   toolchain/check-static.sh IN OUT
set -eu
in=$1
out=$2
name=$(basename "$out")
die() { echo "check-static: $name: $*" >&2; rm -f "$out"; exit 1; }

headers=$(readelf -lW "$in") || die "not an ELF file"
echo "$headers" | grep -q "INTERP" && die "has a PT_INTERP (dynamic loader) segment"
echo "$headers" | grep -q "DYNAMIC" && die "has a dynamic segment"
readelf -d "$in" | grep -q "no dynamic section" || die "has a dynamic section"
kind=$(file -b "$in")
case "$kind" in
    *"statically linked"*) ;;
    *) die "file(1) does not call it statically linked: $kind" ;;
esac
# The symbol table must be there to be read: IN is the unstripped link output.
syms=$(nm "$in" 2>/dev/null) && [ -n "$syms" ] || die "has no symbol table to check"
nss=$(echo "$syms" | grep -E ' [TtWw] (getpw(nam|uid|ent)|getgr(nam|gid|ent)|getsp(nam|ent)|initgroups|getgrouplist|getaddrinfo|getnameinfo|gethostby|getservby|getprotoby|getnetby|__nss_)' || true)
[ -z "$nss" ] || die "links name-service (NSS) lookups, which need libnss_*.so at run time:
$nss"

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
strip -o "$tmp" "$in"
mv "$tmp" "$out"
echo "$name: static, no NSS, $(stat -c %s "$out") bytes stripped ($(stat -c %s "$in") with symbols)"
