#!/bin/sh
# tests/kernels/guest-init.sh: /init of the matrix guest (busybox sh), in two stages.
#
# Stage 1 (no argument; PID 1 in the initramfs that initramfs.py writes): loads the
# 9p modules listed in /modules/order, mounts this machine's / read-only (9p tag
# `hostroot`) at /newroot, gives it fresh /proc, /sys, cgroup2, devtmpfs (+ /dev/fd),
# devpts, tmpfs /tmp, /run and /dev/shm, mounts the checkout (9p tag `checkout`,
# read-only) at its own path again and the writable job directory (9p tag `job`) at
# /run/bvisor-job, and switch_roots into it, with stage 2 as the new init.
# Stage 2 (`stage2`; PID 1 in the host's tree): brings `lo` up, runs
# /run/bvisor-job/cmd with sh, writes its exit status to /run/bvisor-job/status, and
# powers off.
#
# What it is not: a general init. It runs one command and stops; anything it cannot set
# up writes `status` as 125 (when it still can) and powers off, so the host never waits
# for the qemu timeout to learn that the guest is broken.
bb=/bin/busybox

die() {
    echo "guest-init: $*"
    [ -d /newroot/run/bvisor-job ] && echo 125 >/newroot/run/bvisor-job/status
    $bb sync
    $bb poweroff -f
}

if [ "$1" = stage2 ]; then
    bb=/run/bvisor/busybox
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
    $bb ip link set lo up || echo "guest-init: lo stays down"
    $bb hostname bvisor-guest
    cd / || exit 1
    # PID 1 is this shell: while it waits for cmd, busybox sh reaps every orphan
    # (waitpid(-1)), so a test that waits for a process to vanish sees it vanish.
    # The host's sh, by path: this busybox prefers its own applets to $PATH.
    /bin/sh /run/bvisor-job/cmd
    echo $? >/run/bvisor-job/status
    $bb sync
    $bb poweroff -f
fi

# Stage 1: the initramfs. Nothing is mounted yet; /dev/console comes from the archive.
for m in $($bb cat /modules/order); do
    $bb insmod /modules/$m.ko || die "insmod $m failed"
done
# cache=loose: Landlock needs stable inodes (a rule holds the inode the root fd names),
# and cache=none makes every launch about 3x slower. msize: 6.1's default (8 KiB) makes
# every large read a storm of round trips.
o9p=trans=virtio,version=9p2000.L,msize=262144
$bb mount -t 9p -o $o9p,cache=loose,ro hostroot /newroot || die "cannot mount the host's / (9p hostroot)"
$bb mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || die "tmpfs /run"
$bb mkdir -p /newroot/run/bvisor-job /newroot/run/bvisor
# The job directory is written by both sides: no cache, so the host reads what was written.
$bb mount -t 9p -o $o9p job /newroot/run/bvisor-job || die "cannot mount the job directory (9p job)"
$bb mount -t tmpfs -o mode=1777,nosuid,nodev tmp /newroot/tmp || die "tmpfs /tmp"
# The checkout, at its own path (run-in-guest.sh passes it as bvisor_checkout=, which the
# kernel hands to /init as an environment variable): a clone under /tmp would otherwise
# be hidden by the tmpfs just mounted there.
if [ -n "${bvisor_checkout:-}" ]; then
    $bb mkdir -p "/newroot$bvisor_checkout"
    $bb mount -t 9p -o $o9p,cache=loose,ro checkout "/newroot$bvisor_checkout" || die "cannot mount the checkout (9p checkout)"
fi
$bb mount -t proc -o nosuid,nodev,noexec proc /newroot/proc || die "proc"
$bb mount -t sysfs -o nosuid,nodev,noexec sys /newroot/sys || die "sysfs"
$bb mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /newroot/sys/fs/cgroup || die "cgroup2"
$bb mount -t devtmpfs -o nosuid,mode=0755 dev /newroot/dev || die "devtmpfs"
$bb mkdir -p /newroot/dev/pts /newroot/dev/shm
$bb mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /newroot/dev/pts || die "devpts"
$bb mount -t tmpfs -o mode=1777,nosuid,nodev shm /newroot/dev/shm || die "tmpfs /dev/shm"
# A #! script run by fd reaches its interpreter as /dev/fd/N.
$bb ln -sf /proc/self/fd /newroot/dev/fd
$bb ln -sf /proc/self/fd/0 /newroot/dev/stdin
$bb ln -sf /proc/self/fd/1 /newroot/dev/stdout
$bb ln -sf /proc/self/fd/2 /newroot/dev/stderr
# Stage 2 runs after the initramfs is gone: it keeps busybox (for lo, poweroff) and itself.
$bb cp /bin/busybox /init /newroot/run/bvisor/ || die "copying busybox to /run"
# switch_root, not chroot: a chrooted process cannot create a user namespace.
exec $bb switch_root /newroot /run/bvisor/busybox sh /run/bvisor/init stage2
