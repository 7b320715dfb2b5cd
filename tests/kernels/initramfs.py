#!/usr/bin/env python3
"""tests/kernels/initramfs.py: writes the guest's initramfs for one extracted kernel.

Usage: initramfs.py KERNEL_TREE OUT.cpio.gz
  KERNEL_TREE is a `dpkg-deb -x` of a Debian linux-image package (fetch.sh makes it):
  it holds lib/modules/<release>/kernel/... . The archive holds /init
  (tests/kernels/guest-init.sh), /bin/busybox (this machine's busybox-static), /dev/console,
  the mount points /init needs, and, under /modules, every module the guest needs for its
  9p root, decompressed, with /modules/order listing them in load order.

What it is not: a general initramfs tool. Debian's packages ship no modules.dep (depmod
runs in postinst, and we never install these kernels), so a module's dependencies are read
from its own .modinfo section ("depends=a,b"). Modules built into a kernel are simply not
found, and need no loading. Python 3 standard library only; same inputs, same bytes (every
mtime is 0, entries are sorted), so ninja and the matrix can reuse it.
"""
import gzip
import lzma
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"  # from busybox-static (toolchain/packages.txt, group kernels)

# What the guest needs: virtio-9p for the host's / and the job directory, and virtio-net
# for a NIC (no network behind it: a machine has more than `lo`, and the netns tests'
# controls count on that). virtio_pci is built into 6.12 and a module in 6.1; the
# dependencies (9pnet, netfs, failover...) come from each module's own depends=.
WANTED = ["virtio_pci", "9pnet_virtio", "9p", "virtio_net"]


def fail(msg):
    sys.stderr.write("initramfs.py: " + msg + "\n")
    sys.exit(1)


def read_module(path):
    data = open(path, "rb").read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def modinfo_depends(elf):
    """The module names in the `depends=` string of an ELF64 module's .modinfo section."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        fail("not an ELF64 module")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):
        name, _type, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            for field in elf[off:off + size].split(b"\0"):
                if field.startswith(b"depends="):
                    deps = field[len(b"depends="):].decode()
                    return [d for d in deps.split(",") if d]
            return []
    fail("module has no .modinfo section")


def index_modules(tree):
    """module name -> path, for every module of the (single) release in the tree."""
    mods_root = os.path.join(tree, "lib", "modules")
    releases = os.listdir(mods_root) if os.path.isdir(mods_root) else []
    if len(releases) != 1:
        fail("%s: expected one release under lib/modules, found %s" % (tree, releases))
    index = {}
    for d, _, files in os.walk(os.path.join(mods_root, releases[0])):
        for f in files:
            for ext in (".ko", ".ko.xz"):
                if f.endswith(ext):
                    # The kernel treats '-' and '_' in module names alike.
                    index[f[: -len(ext)].replace("-", "_")] = os.path.join(d, f)
    return index


def load_order(index):
    """Modules to load, each after its dependencies; names not in the index are built in."""
    order, seen = [], set()

    def visit(name, chain):
        name = name.replace("-", "_")
        if name in seen or name not in index:
            return
        if name in chain:
            fail("module dependency cycle: " + " -> ".join(chain + [name]))
        for dep in modinfo_depends(read_module(index[name])):
            visit(dep, chain + [name])
        seen.add(name)
        order.append(name)

    for name in WANTED:
        visit(name, [])
    return order


class Cpio:
    """The newc format the kernel unpacks: 110-byte ASCII header, name, data, 4-byte padding."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 0

    def entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        namez = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields) + namez
        self.out += b"\0" * (-len(self.out) % 4) + data
        self.out += b"\0" * (-len(self.out) % 4)

    def trailer(self):
        self.entry("TRAILER!!!", 0)
        return bytes(self.out)


def main():
    if len(sys.argv) != 3:
        fail("usage: initramfs.py KERNEL_TREE OUT.cpio.gz")
    tree, out = sys.argv[1], sys.argv[2]
    if not os.path.exists(BUSYBOX):
        fail("%s missing (install the kernels group: toolchain/install-deps.sh kernels)" % BUSYBOX)
    index = index_modules(tree)
    order = load_order(index)

    c = Cpio()
    for d in ["bin", "dev", "modules", "newroot", "proc", "sys"]:
        c.entry(d, 0o040755)
    # Without /dev/console in the archive, /init starts with no stdin, stdout or stderr.
    c.entry("dev/console", 0o020600, rdev=(5, 1))
    c.entry("bin/busybox", 0o100755, open(BUSYBOX, "rb").read())
    c.entry("bin/sh", 0o120777, b"busybox")
    c.entry("init", 0o100755, open(os.path.join(HERE, "guest-init.sh"), "rb").read())
    for name in order:
        c.entry("modules/%s.ko" % name, 0o100644, read_module(index[name]))
    c.entry("modules/order", 0o100644, "".join(n + "\n" for n in order).encode())
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        # No name and mtime=0 in the gzip header: the same inputs give the same bytes.
        with gzip.GzipFile(filename="", fileobj=f, mode="wb", mtime=0) as z:
            z.write(c.trailer())
    os.replace(tmp, out)
    print("initramfs.py: %s (modules: %s)" % (out, " ".join(order) or "none, all built in"))


if __name__ == "__main__":
    main()
