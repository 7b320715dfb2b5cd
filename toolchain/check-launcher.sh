#!/bin/sh
# Gate between the linked launcher and build/bin: copies IN to OUT only if IN is a
# fully static ELF (no PT_INTERP, no dynamic section) whose symbol table has no C++
# runtime, exception, unwinding or heap symbols. Prints the stripped size.
#   toolchain/check-launcher.sh IN OUT
set -eu
in=$1
out=$2
name=$(basename "$out")
die() { echo "check-launcher: $name: $*" >&2; rm -f "$out"; exit 1; }

headers=$(readelf -lW "$in") || die "not an ELF file"
echo "$headers" | grep -q "INTERP" && die "has a PT_INTERP (dynamic loader) segment"
echo "$headers" | grep -q "DYNAMIC" && die "has a dynamic segment"
readelf -d "$in" | grep -q "no dynamic section" || die "has a dynamic section"

syms=$(nm -C "$in") || die "nm failed"
bad=$(echo "$syms" | grep -E 'std::|__gxx_personality|_Unwind_|__cxa_(throw|begin_catch|end_catch|guard|allocate_exception)|operator new|operator delete|typeinfo|vtable for __cxxabiv1' || true)
[ -z "$bad" ] || die "links C++ runtime / exception / unwinding symbols:
$bad"
heap=$(echo "$syms" | grep -E ' (malloc|__libc_malloc|__libc_malloc_impl|__malloc_donate|calloc|realloc|free|__libc_free|aligned_alloc|posix_memalign|memalign|__simple_malloc|__expand_heap)$' || true)
[ -z "$heap" ] || die "links a heap allocator:
$heap"

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
cp "$in" "$tmp"
stripped="$out.stripped.$$"
strip -o "$stripped" "$in"
size=$(stat -c %s "$stripped")
rm -f "$stripped"
mv "$tmp" "$out"
echo "$name: static, clean symbol table, $size bytes stripped ($(stat -c %s "$out") with symbols)"
