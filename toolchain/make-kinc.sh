#!/bin/sh
# Makes the UAPI header shim for the musl build: DIR/{linux,asm,asm-generic} point at
# the kernel's UAPI headers (Debian's linux-libc-dev), so the launcher can include
# <linux/landlock.h> without /usr/include (and its glibc headers) on the path.
set -eu
dir=$1
mkdir -p "$dir"
ln -sfn /usr/include/linux "$dir/linux"
ln -sfn /usr/include/x86_64-linux-gnu/asm "$dir/asm"
ln -sfn /usr/include/asm-generic "$dir/asm-generic"
