#!/bin/sh
# Installs the built project (`ninja install` runs this after building everything).
#   PREFIX   where it will live (default /usr/local)
#   DESTDIR  staging root prepended to PREFIX (default empty), as in packaging
# Installs: bin/ (bvisor-run, bvisor-plan, bvisor-linux-launcher stripped), lib/
# (libbvisor.a and pkgconfig/bvisor.pc), include/bvisor/ (host headers, with the
# codec's in include/bvisor/codec/), share/man/man1/bvisor-run.1, share/doc/bvisor/.
# The tree is relocatable: bvisor-run finds the launcher beside itself, and bvisor.pc
# locates itself with ${pcfiledir}.
set -eu
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
dest="$DESTDIR$PREFIX"
version=$(sed -n 's/.*kVersion = "\(.*\)";/\1/p' host/include/bvisor/version.hpp)

install -d "$dest/bin" "$dest/lib/pkgconfig" "$dest/include/bvisor/codec" "$dest/share/man/man1" \
    "$dest/share/doc/bvisor"
install -m 755 build/bin/bvisor-run build/bin/bvisor-plan "$dest/bin/"
install -m 755 -s build/bin/bvisor-linux-launcher "$dest/bin/"
install -m 644 build/release/libbvisor.a "$dest/lib/"
install -m 644 host/include/bvisor/*.hpp "$dest/include/bvisor/"
install -m 644 codec/*.h "$dest/include/bvisor/codec/"
install -m 644 build/man/bvisor-run.1 "$dest/share/man/man1/"
install -m 644 README.md docs/PROTOCOL.md "$dest/share/doc/bvisor/"
cat > "$dest/lib/pkgconfig/bvisor.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: bvisor
Description: Build v1 launch plans and run bvisor-linux-launcher (C++20)
Version: $version
Libs: -L\${libdir} -lbvisor
Cflags: -I\${includedir} -std=c++20
PC
echo "installed bvisor $version into $dest"
