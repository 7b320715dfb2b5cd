#!/bin/sh
# Installs the Debian packages this project needs, and nothing else, from Debian's
# own archive (bookworm and bookworm-backports). Idempotent: when every package is
# already installed it changes nothing and needs no network.
#
#   toolchain/install-deps.sh            build + test packages
#   toolchain/install-deps.sh --all      also bench, fuzz and kernels packages
#   toolchain/install-deps.sh GROUP...   the named groups (build test bench fuzz kernels)
#
# Installing needs root. Run as root it installs; run as another user it re-runs
# itself with sudo when sudo is installed, and otherwise says what to run as root and
# stops (exit 1). Nothing is elevated when nothing is missing. Root on a bare image
# (minbase, containers) has no sudo, and needs none: the README runs this script
# without a `sudo` prefix for that reason.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/packages.txt"

groups="build test"
if [ "$#" -gt 0 ]; then
    case "$1" in
        --all) groups="build test bench fuzz kernels" ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) groups="$*" ;;
    esac
fi

main_pkgs=""
bpo_pkgs=""
for g in $groups; do
    grep -q "^$g " "$list" || { echo "install-deps: unknown group '$g'" >&2; exit 2; }
    for p in $(awk -v g="$g" '$1 == g { print $2 }' "$list"); do
        case "$p" in
            *@bookworm-backports) bpo_pkgs="$bpo_pkgs ${p%@*}" ;;
            *) main_pkgs="$main_pkgs $p" ;;
        esac
    done
done

missing=""
for p in $main_pkgs $bpo_pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present ($groups)"
    exit 0
fi

bpo_source=/etc/apt/sources.list.d/bvisor-bookworm-backports.sources
need_bpo=0
for p in $bpo_pkgs; do
    case " $missing " in *" $p "*) need_bpo=1 ;; esac
done
has_bpo=0
if grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then has_bpo=1; fi

cmds=""
if [ "$need_bpo" = 1 ] && [ "$has_bpo" = 0 ]; then
    cmds="printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $bpo_source"
fi
cmds="$cmds${cmds:+
}apt-get update"
cmds="$cmds
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$main_pkgs"
if [ "$need_bpo" = 1 ]; then
    cmds="$cmds
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports$bpo_pkgs"
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing:$missing" >&2
    if command -v sudo >/dev/null 2>&1; then
        echo "install-deps: not root: re-running with sudo" >&2
        exec sudo -- "$here/install-deps.sh" "$@"
    fi
    echo "install-deps: installing them needs root, and there is no sudo here. As root, run" >&2
    echo "    $here/install-deps.sh${*:+ $*}" >&2
    echo "install-deps: or these commands:" >&2
    printf '%s\n' "$cmds" | sed 's/^/    /' >&2
    exit 1
fi

echo "install-deps: installing:$missing"
printf '%s\n' "$cmds" | while IFS= read -r c; do
    echo "+ $c"
    sh -c "$c" || exit 1
done
