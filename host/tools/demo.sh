#!/bin/sh
# The README's main job: a ten-second demonstration of bvisor-run. One shell command
# tries three things inside the sandbox; the verdict on each is read from the disk
# afterwards, not from the sandbox's own report. Then the launcher's transcript.
#   host/tools/demo.sh [BINDIR]   (default build/bin)
set -eu
bin=${1:-build/bin}
work=$(mktemp -d /tmp/bvisor-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/data" "$work/out"
echo "input data" > "$work/data/input.txt"
echo "TOP SECRET" > "$work/secret.txt"

script="cat $work/secret.txt > $work/out/leak.txt; echo escaped > $work/escape.txt; cp $work/data/input.txt $work/out/result.txt"
echo "bvisor demo: run one shell command that may read $work/data and write $work/out, nothing else"
echo
echo "  \$ bvisor-run --ro $work/data --rw $work/out -- sh -c '...'"
status=0
"$bin/bvisor-run" --ro "$work/data" --rw "$work/out" --transcript -- sh -c "$script" 2> "$work/stderr" || status=$?
if [ "$status" = 125 ]; then
    echo
    echo "The launch was refused; nothing ran:"
    grep '^bvisor-run:' "$work/stderr" | sed 's/^/  /'
    exit 1
fi

why() { grep -m1 "$1" "$work/stderr" | sed 's/^/ -- /' || true; }
echo
if grep -q "TOP SECRET" "$work/out/leak.txt" 2>/dev/null; then
    echo "  1. read a secret outside the roots:      LEAKED   <- confinement FAILED"
else
    echo "  1. read a secret outside the roots:      DENIED   $(why secret.txt)"
fi
if [ -e "$work/escape.txt" ]; then
    echo "  2. write a file outside the write root:  WRITTEN  <- confinement FAILED"
else
    echo "  2. write a file outside the write root:  DENIED   $(why escape.txt)"
fi
if [ "$(cat "$work/out/result.txt" 2>/dev/null)" = "input data" ]; then
    echo "  3. copy data/input.txt into out/:        ALLOWED  -- out/result.txt is on disk"
else
    echo "  3. copy data/input.txt into out/:        FAILED   <- the write root should allow this"
fi
echo
echo "(Each verdict above was read from the disk after the command ended.)"
echo
echo "What the launcher did, step by step (its transcript):"
sed -n '/^LauncherStarted$/,$p' "$work/stderr" | sed 's/^/  /'
