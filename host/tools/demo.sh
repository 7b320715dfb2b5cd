#!/bin/sh
# The README's main job (skeleton stage): shows the static launcher and its first
# transcript line. Becomes the confinement demo once the launcher can confine.
set -eu
bin=${1:-build/bin}
echo "== the launcher: $(readelf -d "$bin/bvisor-linux-launcher" | head -1 | sed 's/^ *//')"
echo "== its transcript (control channel on fd 3), with no plan yet:"
BVISOR_CONTROL_FD=3 "$bin/bvisor-linux-launcher" 3>&1 || echo "== exit status $?"
