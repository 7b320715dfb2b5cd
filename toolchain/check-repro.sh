#!/bin/sh
# `ninja repro`: builds the launcher twice more, from copies of this tree in two
# different directories, and checks that all three binaries are bit-identical (no
# paths, dates or build ids in them). Prints the digest.
set -eu
cd "$(dirname "$0")/.."
here=$(pwd)
work=$(mktemp -d /tmp/bvisor-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
for d in a/first-place b/some/other/deeper/place; do
    mkdir -p "$work/$d"
    tar -C "$here" --exclude=./build --exclude=./.git -cf - . | tar -C "$work/$d" -xf -
    (cd "$work/$d" && python3 configure.py >/dev/null && ninja build/bin/bvisor-linux-launcher >/dev/null)
done
ours=$(sha256sum build/bin/bvisor-linux-launcher | cut -d' ' -f1)
first=$(sha256sum "$work/a/first-place/build/bin/bvisor-linux-launcher" | cut -d' ' -f1)
second=$(sha256sum "$work/b/some/other/deeper/place/build/bin/bvisor-linux-launcher" | cut -d' ' -f1)
echo "repro: $here/build: $ours"
echo "repro: $work/a/first-place: $first"
echo "repro: $work/b/some/other/deeper/place: $second"
if [ "$ours" != "$first" ] || [ "$first" != "$second" ]; then
    echo "repro: FAILED: the launcher differs between build directories"
    exit 1
fi
echo "repro: ok, bit-identical launcher ($(stat -c %s build/bin/bvisor-linux-launcher) bytes)"
