#!/bin/sh
# tests/kernels/fetch.sh: puts Debian's own kernels (tests/kernels/kernels.txt) under
# build/kernels/<release>/ as extracted packages, and prints `<series> <release>` per kernel.
#
#   tests/kernels/fetch.sh [SERIES...]     all kernels of kernels.txt, or the named series
#
# For each series it asks apt which linux-image-<release> package linux-image-amd64 of
# that suite depends on, then `apt-get download`s that package and `dpkg-deb -x`s it into
# build/kernels/<release>/ (boot/vmlinuz-<release>, lib/modules/<release>/...).
# Idempotent: a release already extracted is not fetched again, and then no network is
# used. The bookworm-backports apt source is added the way toolchain/install-deps.sh adds
# it, and only when missing (that needs root).
#
# What it is not: a kernel installer. Nothing is installed with dpkg or apt-get install;
# this machine's own kernel, /boot and /lib/modules are never touched.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
list="$root/tests/kernels/kernels.txt"
dest="$root/build/kernels"

die() { echo "fetch.sh: $*" >&2; exit 1; }

# The linux-image-<release> package that linux-image-amd64 of suite $1 depends on.
image_package() {
    if [ "$1" = bookworm ]; then
        # apt's candidate: a bare `-t bookworm` would pick the point release and miss
        # bookworm-security's newer kernel, the one a fresh Debian 12 boots.
        apt-cache depends linux-image-amd64 2>/dev/null
    else
        apt-cache depends -t "$1" linux-image-amd64 2>/dev/null
    fi | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

ensure_source() {
    [ "$1" = bookworm-backports ] || return 0
    grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
    [ "$(id -u)" = 0 ] || die "no bookworm-backports apt source; run as root to add it"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/bvisor-bookworm-backports.sources
    apt-get update >&2 || die "apt-get update failed"
}

want="$*"
updated=0
awk '!/^#/ && NF >= 2 { print $1, $2 }' "$list" | while read -r series suite; do
    if [ -n "$want" ]; then
        case " $want " in *" $series "*) ;; *) continue ;; esac
    fi
    ensure_source "$suite"
    pkg=$(image_package "$suite")
    if [ -z "$pkg" ] && [ "$updated" = 0 ] && [ "$(id -u)" = 0 ]; then
        # Fresh machine: no package lists yet.
        apt-get update >&2 || die "apt-get update failed"
        updated=1
        pkg=$(image_package "$suite")
    fi
    [ -n "$pkg" ] || die "apt knows no linux-image-amd64 in $suite (apt-get update?)"
    release=${pkg#linux-image-}
    tree="$dest/$release"
    if [ ! -f "$tree/boot/vmlinuz-$release" ]; then
        tmp="$dest/.fetch-$release.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp/x"
        echo "fetch.sh: downloading $pkg ($suite)" >&2
        # apt-get download writes into the current directory; as root it may warn that
        # _apt cannot write there and then downloads unsandboxed, which is fine here.
        (cd "$tmp" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
        dpkg-deb -x "$tmp"/*.deb "$tmp/x" || die "dpkg-deb -x $pkg failed"
        [ -f "$tmp/x/boot/vmlinuz-$release" ] || die "$pkg has no boot/vmlinuz-$release"
        rm -rf "$tree"
        mv "$tmp/x" "$tree"
        rm -rf "$tmp"
    fi
    echo "$series $release"
done
