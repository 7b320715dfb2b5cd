#!/bin/sh
# tests/kernels/run-in-guest.sh: runs one command as root inside a qemu guest that boots
# one of Debian's kernels, and exits with the command's exit status.
#
#   tests/kernels/run-in-guest.sh [-i] [-j JOBDIR] [-t SECONDS] KERNEL COMMAND [ARG...]
#     KERNEL   a series of tests/kernels/kernels.txt (6.1, 6.12), fetched if needed, or a
#              release already under build/kernels/ (6.1.0-57-amd64)
#     -i       give the guest's console this terminal (e.g. `... 6.1 bash -i`); otherwise
#              the command's stdin is the console with nothing to read
#     -j DIR   the job directory (kept afterwards); default: a fresh one under
#              build/kernels/jobs/, removed afterwards
#     -t SECS  kill the guest after SECS seconds (default 1800); the exit status is then 125
#
#   e.g. tests/kernels/run-in-guest.sh 6.1 host/tools/demo.sh build/bin
#
# The guest (tests/kernels/guest-init.sh) sees this machine's / read-only, with fresh
# /proc, /sys, cgroup2, /dev, and tmpfs /tmp and /run (so the current directory must not
# be under /tmp or /run, unless it is in this checkout, which is always mounted at its
# own path); the command runs in the current directory with the BVISOR_* variables of
# this environment, and its output is the guest's console, streamed here (the kernel's
# own messages are kept short by `quiet`). Inside the guest, the job directory is
# /run/bvisor-job (writable, shared with the host): put results there. Exit status: the
# command's, or 125 when the guest ends without one.
#
# What it is not: an emulator of this machine. The guest runs under TCG (/dev/kvm here
# cannot boot stock kernels), about 5 s to boot and several times slower than the host.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/kernels"

die() { echo "run-in-guest: $*" >&2; exit 125; }

interactive=0
jobdir=""
limit=1800
while getopts ij:t: opt; do
    case "$opt" in
        i) interactive=1 ;;
        j) jobdir=$OPTARG ;;
        t) limit=$OPTARG ;;
        *) sed -n '4,13p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ "$#" -ge 2 ] || { sed -n '4,13p' "$0" >&2; exit 2; }
kernel=$1
shift
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: toolchain/install-deps.sh kernels"

if [ -f "$root/build/kernels/$kernel/boot/vmlinuz-$kernel" ]; then
    release=$kernel
else
    release=$("$here/fetch.sh" "$kernel" | awk -v s="$kernel" '$1 == s { print $2 }')
    [ -n "$release" ] || die "unknown kernel '$kernel' (a series of tests/kernels/kernels.txt, or a release under build/kernels)"
fi
tree="$root/build/kernels/$release"
case "$root" in
    *[[:space:]]*) die "the checkout's path has a blank; the kernel command line cannot carry it" ;;
esac

if [ -z "$jobdir" ]; then
    mkdir -p "$root/build/kernels/jobs"
    jobdir=$(mktemp -d "$root/build/kernels/jobs/$release.XXXXXX")
    trap 'rm -rf "$jobdir"' EXIT
fi
mkdir -p "$jobdir"
jobdir=$(cd "$jobdir" && pwd)
rm -f "$jobdir/status" "$jobdir/qemu-status"

# The command file: sh-quoted words, run by the guest's stage 2 with the host's /bin/sh.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    env | grep '^BVISOR_[A-Za-z0-9_]*=' | while IFS= read -r kv; do
        printf 'export %s=%s\n' "${kv%%=*}" "$(quote "${kv#*=}")"
    done
    printf 'cd %s || exit 125\n' "$(quote "$PWD")"
    echo 'echo "run-in-guest: the command starts"'
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(quote "$a")"; done
    printf '\n'
} >"$jobdir/cmd"
python3 "$here/initramfs.py" "$tree" "$jobdir/initramfs.cpio.gz" >/dev/null

# -nodefaults: no default NIC, no VGA; the serial port is the console. The one NIC has
# no network behind it (restrict=on) and no boot ROM (romfile=): it is there because
# real machines have more than `lo`.
# TCG, not KVM: this machine's /dev/kvm cannot boot stock kernels (-cpu host aborts on
# MSR 0x10a; other CPU models hang after "Probing EDD").
set -- qemu-system-x86_64 -nodefaults -no-reboot -display none -serial stdio \
    -accel tcg,thread=multi -cpu max -smp 2 -m 2G \
    -kernel "$tree/boot/vmlinuz-$release" -initrd "$jobdir/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 quiet bvisor_checkout=$root" \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,romfile= \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$root,mount_tag=checkout,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$jobdir,mount_tag=job,security_model=none,multidevs=remap"
if [ "$interactive" = 1 ]; then
    # --foreground: qemu must stay in the terminal's foreground group to read it.
    timeout --foreground "$limit" "$@" || echo $? >"$jobdir/qemu-status"
else
    # The serial console writes CRLF: strip the CRs so logs read as text, line by line
    # (sed -u: a pipe must not hold back the progress of a long run).
    { timeout -k 5 "$limit" "$@" </dev/null || echo $? >"$jobdir/qemu-status"; } | sed -u 's/\r$//'
fi

if [ ! -f "$jobdir/status" ]; then
    qs=$(cat "$jobdir/qemu-status" 2>/dev/null || echo 0)
    [ "$qs" = 124 ] && die "the guest ($release) ran out of time after $limit s"
    die "the guest ($release) ended without the command's exit status (qemu: $qs)"
fi
exit "$(cat "$jobdir/status")"
