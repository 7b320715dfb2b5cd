#!/bin/sh
# `ninja deb`: builds the Debian binary package OUT (bvisor_VERSION_amd64.deb) from the
# installed tree: toolchain/install.sh into a DESTDIR stage with PREFIX=/usr, plus what
# Debian policy adds (stripped tools, gzipped man page and changelog, the copyright
# file, md5sums, a lintian override for the static launcher) and packaging/control with
# its Depends computed by dpkg-shlibdeps from what the dynamic tools link. Needs
# dpkg-dev; lintian is a separate build step.
#   toolchain/mkdeb.sh OUT
# Not a Debian source package (no debian/rules, no debhelper): the build is ninja's.
set -eu
out=$1
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*kVersion = "\(.*\)";/\1/p' host/include/bvisor/version.hpp)
newest=$(sed -n '1s/^bvisor (\([^)]*\)).*/\1/p' packaging/changelog)
if [ "$newest" != "$version" ]; then
    echo "mkdeb: packaging/changelog's newest entry is '$newest' but the tree is $version: add an entry" >&2
    exit 1
fi

# dpkg-shlibdeps reads debian/control and expects the package's files in debian/PACKAGE.
work=$(dirname "$out")/work
root=$work/debian/bvisor
rm -rf "$work"
mkdir -p "$root/DEBIAN"
DESTDIR="$root" PREFIX=/usr toolchain/install.sh >/dev/null
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/bvisor-run" \
    "$root/usr/bin/bvisor-plan"
gzip -9n "$root/usr/share/man/man1/bvisor-run.1"
doc=$root/usr/share/doc/bvisor
install -m 644 packaging/copyright "$doc/copyright"
gzip -9n <packaging/changelog >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"
install -D -m 644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/bvisor"

printf 'Source: bvisor\n\nPackage: bvisor\nArchitecture: amd64\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O debian/bvisor/usr/bin/bvisor-run \
    debian/bvisor/usr/bin/bvisor-plan | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@INSTALLED_SIZE@/$size/" \
    packaging/control >"$root/DEBIAN/control"
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
chmod 755 "$root/DEBIAN"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
echo "mkdeb: $out ($(stat -c %s "$out") bytes; Depends: $depends)"
