#!/usr/bin/env python3
"""configure.py: probes the toolchain and writes the top-level build.ninja.

What it is: the only build script. It reads toolchain/toolchain.json (the toolchain
as data), checks that the compiler accepts every flag listed there (failing with a
one-line reason if not), lists the sources, and writes build.ninja.

What it is not: a package manager (toolchain/install-deps.sh installs packages) or a
test runner (tests/run runs the test binaries).

Shape: a Toolchain (toolchain.json plus the compiler's probes), the Sources, and one
small writer per part of build.ninja (the launcher; each host variant: asan, debug,
release; fuzz; fuzz-afl; the static tools; the Debian package; the checks and tasks).
main() calls them in a fixed order, which is the order of build.ninja.

Guarantees:
  * Same inputs give byte-identical output: everything is sorted, nothing records a
    date, the checkout's absolute path or the environment. build.ninja is checked in.
  * ninja re-runs this script when it, toolchain/ or a source directory changes.
  * Python 3 standard library only.

Usage: ./configure.py [--cxx CLANGXX]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD = "build"
TOOLCHAIN_JSON = "toolchain/toolchain.json"
MAN = BUILD + "/man/bvisor-run.1"

# Directories whose listing decides the build graph: adding or removing a source
# file changes the directory's mtime, and ninja then re-runs configure.
SOURCE_DIRS = [
    "codec",
    "host/include/bvisor",
    "host/lib",
    "host/tools",
    "host/tools/bvisor-run",
    "launcher",
    "launcher/sys",
    "tests/bench",
    "tests/fuzz",
    "tests/integration",
    "tests/probe",
    "tests/support",
    "tests/unit",
]


def fail(reason):
    sys.stderr.write("configure.py: " + reason + "\n")
    sys.exit(1)


# --------------------------------------------------------------------------- ninja
def esc_path(p):
    return p.replace("$", "$$").replace(" ", "$ ").replace(":", "$:")


class Ninja:
    """A tiny build.ninja writer (the subset this project uses)."""

    def __init__(self):
        self.lines = []

    def comment(self, text):
        for line in text.splitlines():
            self.lines.append(("# " + line).rstrip())

    def newline(self):
        self.lines.append("")

    def variable(self, key, value, indent=0):
        if isinstance(value, list):
            value = " ".join(v for v in value if v)
        self.lines.append("  " * indent + "%s = %s" % (key, value))

    def rule(self, name, command, description=None, depfile=None, deps=None,
             generator=False, pool=None, restat=False):
        self.lines.append("rule " + name)
        self.variable("command", command, 1)
        if description:
            self.variable("description", description, 1)
        if depfile:
            self.variable("depfile", depfile, 1)
        if deps:
            self.variable("deps", deps, 1)
        if generator:
            self.variable("generator", "1", 1)
        if pool:
            self.variable("pool", pool, 1)
        if restat:
            self.variable("restat", "1", 1)
        self.newline()

    def build(self, outputs, rule, inputs=None, implicit=None, order_only=None,
              variables=None, implicit_outputs=None):
        outputs = [outputs] if isinstance(outputs, str) else outputs
        inputs = [inputs] if isinstance(inputs, str) else (inputs or [])
        implicit = [implicit] if isinstance(implicit, str) else (implicit or [])
        order_only = [order_only] if isinstance(order_only, str) else (order_only or [])
        text = "build " + " ".join(esc_path(o) for o in outputs)
        if implicit_outputs:
            text += " | " + " ".join(esc_path(o) for o in implicit_outputs)
        text += ": " + rule
        if inputs:
            text += " " + " ".join(esc_path(i) for i in inputs)
        if implicit:
            text += " | " + " ".join(esc_path(i) for i in implicit)
        if order_only:
            text += " || " + " ".join(esc_path(i) for i in order_only)
        self.lines.append(text)
        for key, value in sorted((variables or {}).items()):
            self.variable(key, value, 1)

    def default(self, targets):
        self.lines.append("default " + " ".join(esc_path(t) for t in targets))

    def text(self):
        return "\n".join(self.lines) + "\n"


# --------------------------------------------------------------------------- probes
def run(cmd, cwd=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    except OSError as e:  # the program does not exist or cannot be run
        return 127, "error: %s: %s" % (cmd[0], e.strerror)
    return p.returncode, p.stdout


def first_error_line(output):
    for line in output.splitlines():
        if "error" in line:
            return line.strip()
    lines = [l for l in output.splitlines() if l.strip()]
    return lines[0].strip() if lines else "(no output)"


def probe_flags(what, cxx, flags, source, tmp, extra_link=None):
    """Compiles (and optionally links) `source` with `flags`; on failure finds the
    first flag the compiler rejects and fails configure with one line."""
    src = os.path.join(tmp, "probe.cpp")
    with open(src, "w") as f:
        f.write(source)
    obj = os.path.join(tmp, "probe.o")
    cmd = [cxx] + flags + ["-Werror", "-c", src, "-o", obj]
    rc, out = run(cmd)
    if rc != 0:
        # Find the culprit: the first flag that alone breaks an empty TU.
        empty = os.path.join(tmp, "empty.cpp")
        with open(empty, "w") as f:
            f.write("int bvisor_probe;\n")
        for flag in flags:
            rc1, out1 = run([cxx, flag, "-Werror", "-c", empty, "-o", obj])
            if rc1 != 0 and flag.startswith("-") and not flag.startswith("-I"):
                fail("%s: %s does not accept required flag %s: %s"
                     % (what, cxx, flag, first_error_line(out1)))
        fail("%s: probe compile failed: %s" % (what, first_error_line(out)))
    if extra_link is not None:
        exe = os.path.join(tmp, "probe.exe")
        rc, out = run(extra_link(obj, exe))
        if rc != 0:
            fail("%s: probe link failed: %s" % (what, first_error_line(out)))
        return exe
    return None


LAUNCHER_PROBE = r"""
#include <stddef.h>
#include <stdint.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
extern "C" int main() { struct clone_args a = {}; return (int)sizeof(a) == 0; }
"""

HOST_PROBE = r"""
#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
int bvisor_host_probe() { return nlohmann::json::parse("1").get<int>(); }
"""

STATIC_PROBE = r"""
#include <string>
int main(int argc, char**) { return static_cast<int>(std::string(static_cast<size_t>(argc), 'x').size()) - 1; }
"""

FUZZ_PROBE = r"""
#include <stddef.h>
#include <stdint.h>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
"""


# --------------------------------------------------------------------------- sources
def listdir(d, suffix):
    path = os.path.join(ROOT, d)
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(path) if n.endswith(suffix))


def obj_of(variant_dir, src):
    return "%s/%s/obj/%s.o" % (BUILD, variant_dir, src)


def write_check_kernels(n, inputs):
    """`ninja check-kernels`: the kernel-facing tests on this machine's kernel and on each
    Debian kernel of tests/kernels/kernels.txt under qemu (tests/kernels/check-kernels.py
    fetches the kernels into build/kernels/ itself). Not part of `check`, `check-all` or
    `all`: it needs the kernels package group and several minutes of emulation."""
    scripts = ["tests/kernels/" + f for f in ("check-kernels.py", "expectations.txt", "fetch.sh",
                                              "guest-init.sh", "initramfs.py", "kernels.txt",
                                              "run-in-guest.sh", "run-tests.py")]
    n.build("check-kernels", "run", implicit=inputs + scripts, variables={
        "command": "python3 tests/kernels/check-kernels.py", "description": "CHECK-KERNELS"})


class Sources:
    """Every source list the build graph is made of (sorted, relative to the checkout)."""

    def __init__(self):
        self.codec = listdir("codec", ".cpp")
        self.launcher = listdir("launcher", ".cpp") + listdir("launcher/sys", ".cpp")
        self.hostlib = listdir("host/lib", ".cpp")
        # A tool is host/tools/NAME.cpp, or the .cpp files of host/tools/NAME/.
        self.tools = {os.path.splitext(os.path.basename(src))[0]: [src]
                      for src in listdir("host/tools", ".cpp")}
        for d in sorted(os.listdir(os.path.join(ROOT, "host/tools"))):
            if os.path.isdir(os.path.join(ROOT, "host/tools", d)):
                self.tools[d] = listdir("host/tools/" + d, ".cpp")
        self.support = listdir("tests/support", ".cpp")
        self.unit = listdir("tests/unit", ".cpp")
        self.integration = listdir("tests/integration", ".cpp")
        self.probe = listdir("tests/probe", ".cpp")
        fuzz = listdir("tests/fuzz", ".cpp")
        # nop_static.cpp is the bench's static no-op workload, built like the launcher.
        self.bench = [s for s in listdir("tests/bench", ".cpp") if not s.endswith("nop_static.cpp")]
        self.fuzz_entries = [s for s in fuzz if s.endswith("_fuzz.cpp")]
        self.fuzz_targets = [s for s in fuzz if not s.endswith("_fuzz.cpp")]
        self.unit_tests = unit_test_sources(self.unit, self.support + self.fuzz_targets)


INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def unit_test_sources(unit, helpers):
    """The sources of the unit-test binary: tests/unit, the entry point
    tests/support/main.cpp, and each helper source (tests/support, tests/fuzz targets)
    whose header they include, followed through the helpers' own includes. Nothing of
    tests/integration, so `ninja check`'s ASan build compiles only what it runs.
    Headers are found by reading the sources: after adding an #include of another helper
    to an existing unit test, run ./configure.py (adding a file re-runs it by itself)."""
    wanted = set(unit) | {"tests/support/main.cpp"}
    todo, seen = sorted(wanted), set()
    while todo:
        src = todo.pop()
        if src in seen:
            continue
        seen.add(src)
        with open(os.path.join(ROOT, src)) as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            header = os.path.normpath(os.path.join(os.path.dirname(src), name))
            if not os.path.exists(os.path.join(ROOT, header)):
                continue  # "codec/...", "bvisor/...": libbvisor.a
            todo.append(header)
            cpp = os.path.splitext(header)[0] + ".cpp"
            if cpp in helpers:
                wanted.add(cpp)
                todo.append(cpp)
    return sorted(wanted)


# --------------------------------------------------------------------------- toolchain
class Toolchain:
    """toolchain/toolchain.json plus what configure derives from it and the compiler."""

    def __init__(self, cxx_override):
        with open(os.path.join(ROOT, TOOLCHAIN_JSON)) as f:
            tc = json.load(f)
        with open(os.path.join(ROOT, "host/include/bvisor/version.hpp")) as f:
            m = re.search(r'kVersion = "([^"]+)"', f.read())
        if not m:
            fail("host/include/bvisor/version.hpp has no kVersion")
        self.tc = tc
        self.version = m.group(1)
        self.cxx = cxx_override or tc["cxx"]

        rc, resource_dir = run([self.cxx, "-print-resource-dir"])
        if rc != 0:
            fail("%s not found or not clang (needed: -print-resource-dir): %s"
                 % (self.cxx, first_error_line(resource_dir)))
        resource_dir = resource_dir.strip()

        musl = tc["musl"]
        for p in [musl["include"], musl["lib"]] + list(tc["uapi_shim"][k] for k in ("linux", "asm", "asm-generic")):
            if not os.path.isdir(p):
                fail("missing %s (install the build packages: toolchain/install-deps.sh)" % p)

        self.warnings = tc["warnings"]
        self.codec_warnings = tc["codec_warnings"]
        self.kinc = BUILD + "/kinc"
        self.L = tc["launcher"]
        self.launcher_cxxflags = (self.L["cxxflags"] + ["-isystem", musl["include"], "-isystem",
                                  resource_dir + "/include", "-idirafter", self.kinc] + self.warnings)
        self.builtins = resource_dir + "/" + self.L["builtins"]
        self.crt_begin = [musl["lib"] + "/" + c for c in musl["crt_static"]]
        self.crt_end = [musl["lib"] + "/" + c for c in musl["crt_end"]]
        self.libc = musl["lib"] + "/" + musl["libc"]
        self.host_cxxflags = tc["host"]["cxxflags"] + self.warnings
        self.variants = tc["variants"]
        self.S = tc["static_tools"]
        self.F = tc["fuzz"]
        self.A = tc["afl"]

    def probe(self):
        """Compiles (and links) a probe with every required flag set, in a scratch
        directory; fails configure with one line naming the first rejected flag."""
        cxx, tc, L, F = self.cxx, self.tc, self.L, self.F

        def subst(flags, root):
            return [f.replace("${root}", root) for f in flags]

        with tempfile.TemporaryDirectory() as tmp:
            shim = os.path.join(tmp, "kinc")
            os.mkdir(shim)
            for name in ("linux", "asm", "asm-generic"):
                os.symlink(tc["uapi_shim"][name], os.path.join(shim, name))
            probe_lflags = [f if f != self.kinc else shim for f in subst(self.launcher_cxxflags, ROOT)]
            probe_flags("launcher", cxx, probe_lflags + self.codec_warnings, LAUNCHER_PROBE, tmp,
                        lambda o, e: [cxx] + L["ldflags"] + self.crt_begin + [o, self.libc, self.builtins]
                        + self.crt_end + ["-o", e])
            for name, v in sorted(self.variants.items()):
                probe_flags("host/" + name, cxx, subst(self.host_cxxflags + v["cxxflags"], ROOT),
                            HOST_PROBE, tmp)
            probe_flags("static tools", cxx,
                        subst(self.host_cxxflags + self.variants["release"]["cxxflags"], ROOT),
                        STATIC_PROBE, tmp, lambda o, e: [cxx] + self.S["ldflags"] + [o, "-o", e])
            probe_flags("fuzz", cxx, subst(F["cxxflags"], ROOT), FUZZ_PROBE, tmp,
                        lambda o, e: [cxx] + F["ldflags"] + [o, "-o", e])
        for lib in tc["catch2"]["libs"]:
            if not os.path.exists(lib):
                fail("missing %s (Catch2 v3: toolchain/install-deps.sh)" % lib)


# --------------------------------------------------------------------------- the graph
# Each writer below adds one part of build.ninja to `n` and returns the targets other
# parts depend on. main() calls them in a fixed order: the order of build.ninja.

def flags(lst):
    return " ".join(lst).replace("-ffile-prefix-map=${root}=.", "$root_map")


def write_variables(n, t, configure_args):
    n.comment("Generated by configure.py from toolchain/toolchain.json. Do not edit: edit those")
    n.comment("and run ./configure.py (ninja re-runs it when they change).")
    n.comment("Toolchain: " + t.tc["toolchain_version"])
    n.newline()
    n.variable("ninja_required_version", "1.10")
    n.variable("configure_args", " ".join(configure_args))
    n.variable("cxx", t.cxx)
    n.variable("root_map", "-ffile-prefix-map=$$(pwd)=.")
    n.newline()

    n.comment("--- flags")
    n.variable("launcher_cxxflags", flags(t.launcher_cxxflags))
    n.variable("launcher_ldflags", flags(t.L["ldflags"]))
    n.variable("launcher_crt_begin", " ".join(t.crt_begin))
    n.variable("launcher_libs", " ".join([t.libc, t.builtins] + t.crt_end))
    n.variable("codec_warnings", " ".join(t.codec_warnings))
    n.variable("host_cxxflags", flags(t.host_cxxflags))
    for name, v in sorted(t.variants.items()):
        n.variable("%s_cxxflags" % name, flags(v["cxxflags"]))
        n.variable("%s_ldflags" % name, flags(v["ldflags"]))
    n.variable("static_ldflags", flags(t.S["ldflags"]))
    n.variable("fuzz_cxxflags", flags(t.F["cxxflags"] + t.warnings))
    n.variable("fuzz_ldflags", flags(t.F["ldflags"]))
    n.variable("afl_cxx", t.A["cxx"])
    n.variable("afl_cxxflags", flags(t.A["cxxflags"] + t.warnings))
    n.variable("afl_ldflags", flags(t.A["ldflags"]))
    n.variable("afl_driver", t.A["driver"])
    n.variable("catch2_libs", " ".join(t.tc["catch2"]["libs"]))
    n.newline()


def write_rules(n, t):
    n.comment("--- rules")
    n.rule("configure", "python3 configure.py $configure_args", "CONFIGURE", generator=True,
           pool="console")
    n.rule("kinc", "toolchain/make-kinc.sh $out_dir && touch $out",
           "UAPI shim $out_dir")
    n.rule("cxx_launcher", "$cxx $launcher_cxxflags $extra -MD -MF $out.d -c $in -o $out",
           "CXX(launcher) $in", depfile="$out.d", deps="gcc")
    n.rule("link_launcher",
           "$cxx $launcher_ldflags $launcher_crt_begin $in $launcher_libs -o $out",
           "LINK(launcher) $out")
    n.rule("check_launcher", "toolchain/check-launcher.sh $in $out", "CHECK $out")
    for name in sorted(t.variants):
        n.rule("cxx_" + name,
               "$cxx $host_cxxflags $%s_cxxflags $extra -MD -MF $out.d -c $in -o $out" % name,
               "CXX(%s) $in" % name, depfile="$out.d", deps="gcc")
        n.rule("link_" + name, "$cxx $%s_ldflags $in $libs -o $out" % name,
               "LINK(%s) $out" % name)
    n.rule("link_static", "$cxx $static_ldflags $in -o $out", "LINK(static) $out")
    n.rule("check_static", "toolchain/check-static.sh $in $out", "CHECK $out")
    n.rule("strip", "strip -o $out $in", "STRIP $out")
    n.rule("cxx_fuzz", "$cxx $fuzz_cxxflags $extra -MD -MF $out.d -c $in -o $out",
           "CXX(fuzz) $in", depfile="$out.d", deps="gcc")
    n.rule("link_fuzz", "$cxx $fuzz_ldflags $in $libs -o $out", "LINK(fuzz) $out")
    # AFL_QUIET: afl-clang-fast prints a banner per compile otherwise.
    n.rule("cxx_afl", "AFL_QUIET=1 $afl_cxx $afl_cxxflags $extra -MD -MF $out.d -c $in -o $out",
           "CXX(afl) $in", depfile="$out.d", deps="gcc")
    n.rule("link_afl", "AFL_QUIET=1 $afl_cxx $afl_ldflags $in $afl_driver -o $out",
           "LINK(afl) $out")
    n.rule("ar", "rm -f $out && ar crsD $out $in", "AR $out")
    n.rule("lint", "toolchain/lint.sh && touch $out", "LINT")
    n.rule("man", "python3 toolchain/mkman.py $in %s $out" % t.version, "MAN $out")
    n.rule("mkdeb", "toolchain/mkdeb.sh $out", "DEB $out")
    # lintian's findings are printed on every run, and an error (not a warning) fails.
    # TMPDIR: lintian 2.116 leaves its mldbm-elf-* cache files behind in the temp dir.
    n.rule("lintian", "rm -rf $tmp && mkdir -p $tmp && TMPDIR=$$PWD/$tmp "
           "lintian --fail-on error $in >$out.tmp 2>&1 || { cat $out.tmp; exit 1; }; "
           "mv $out.tmp $out && cat $out", "LINTIAN $in")
    n.rule("run", "$command", "$description", pool="console")
    n.newline()


def write_regeneration(n, t):
    n.comment("--- regeneration")
    # Only directories that exist: git does not keep empty ones in a fresh clone.
    watched = [d for d in SOURCE_DIRS if os.path.isdir(os.path.join(ROOT, d))]
    # version.hpp: the version is baked into the man rule and the package's file name.
    n.build("build.ninja", "configure",
            implicit=["configure.py", TOOLCHAIN_JSON, "host/include/bvisor/version.hpp"] + watched)
    n.newline()
    n.build(t.kinc + "/.stamp", "kinc", implicit=["toolchain/make-kinc.sh", TOOLCHAIN_JSON],
            variables={"out_dir": t.kinc})
    n.newline()


def launcher(n, t, s):
    """The static launcher, the bench's static no-op, and the test-hooks launcher.
    Returns the two checked launchers."""
    n.comment("--- the static launcher (musl, freestanding C++)")

    def objs(vdir, extra):
        out = []
        for src in s.launcher + s.codec:
            o = obj_of(vdir, src)
            ex = extra + (" $codec_warnings" if src.startswith("codec/") else "")
            n.build(o, "cxx_launcher", src, order_only=[t.kinc + "/.stamp"],
                    variables={"extra": ex.strip()} if ex.strip() else None)
            out.append(o)
        return out

    def checked(vdir, objects, out):
        unchecked = "%s/%s/bvisor-linux-launcher.unchecked" % (BUILD, vdir)
        n.build(unchecked, "link_launcher", objects)
        n.build(out, "check_launcher", unchecked, implicit=["toolchain/check-launcher.sh"])

    launcher_bin = BUILD + "/bin/bvisor-linux-launcher"
    checked("launcher", objs("launcher", ""), launcher_bin)
    # A static do-nothing program built exactly like the launcher: the bench's floor for
    # "exec one small static binary", with and without the launcher in front of it.
    nop_src = "tests/bench/nop_static.cpp"
    if os.path.exists(os.path.join(ROOT, nop_src)):
        nop_obj = obj_of("launcher", nop_src)
        n.build(nop_obj, "cxx_launcher", nop_src, order_only=[t.kinc + "/.stamp"])
        n.build(BUILD + "/bench/nop-static", "link_launcher", [nop_obj])
    testhooks_bin = BUILD + "/test/bvisor-linux-launcher-testhooks"
    checked("launcher-testhooks", objs("launcher-testhooks", "-DBVISOR_TEST_HOOKS=1"),
            testhooks_bin)
    n.newline()
    return [launcher_bin, testhooks_bin]


def host_variant(n, s, name, bindir):
    """One host build (toolchain.json "variants"): libbvisor.a, the tools, the test
    probe and the test binary, with the objects they need. Returns its targets; the
    phony target `name` builds them. The caller adds what only it has and then
    calls n.newline()."""
    n.comment("--- host variant: " + name)

    def objs(srcs):
        out = []
        for src in srcs:
            o = obj_of(name, src)
            n.build(o, "cxx_" + name, src,
                    variables={"extra": "$codec_warnings"} if src.startswith("codec/") else None)
            out.append(o)
        return out

    lib = "%s/%s/libbvisor.a" % (BUILD, name)
    n.build(lib, "ar", objs(s.codec + s.hostlib))
    targets = [lib]
    for prog, srcs in sorted(s.tools.items()):
        out = bindir + "/" + prog
        n.build(out, "link_" + name, objs(srcs) + [lib])
        targets.append(out)
    if s.probe:
        out = bindir + "/bvisor-test-probe"
        n.build(out, "link_" + name, objs(s.probe))
        targets.append(out)
    test_objs = objs(s.support + s.unit + s.integration + s.fuzz_targets)
    if test_objs:
        out = bindir + "/bvisor-tests"
        n.build(out, "link_" + name, test_objs + [lib], variables={"libs": "$catch2_libs"})
        targets.append(out)
    return targets, objs


ASAN_UNIT_TESTS = BUILD + "/asan/bin/bvisor-unit-tests"


def asan(n, s):
    """ASan + UBSan build of the host library, tools and tests (build/asan/bin), plus
    bvisor-unit-tests: the unit tests alone (s.unit_tests), which is what `ninja check`
    runs under ASan, so that it compiles no integration object it would not run."""
    targets, _ = host_variant(n, s, "asan", BUILD + "/asan/bin")
    if s.unit_tests:
        # The objects are host_variant's (every unit-test source is also in bvisor-tests).
        n.build(ASAN_UNIT_TESTS, "link_asan",
                [obj_of("asan", src) for src in s.unit_tests] + [BUILD + "/asan/libbvisor.a"],
                variables={"libs": "$catch2_libs"})
        targets.append(ASAN_UNIT_TESTS)
    n.build("asan", "phony", targets)
    n.newline()
    return targets


def debug(n, s):
    """-O0 -g build of the host library, tools and tests (build/debug/bin)."""
    targets, _ = host_variant(n, s, "debug", BUILD + "/debug/bin")
    n.build("debug", "phony", targets)
    n.newline()
    return targets


BENCH = BUILD + "/bin/bvisor-bench"


def release(n, s):
    """The default host build (build/bin, beside the launcher), plus the bench."""
    targets, objs = host_variant(n, s, "release", BUILD + "/bin")
    if s.bench:
        out = BENCH
        # The bench reuses the tests' kernel probes (already compiled for the tests).
        n.build(out, "link_release",
                objs(s.bench) + [obj_of("release", "tests/support/kernel.cpp"),
                                 BUILD + "/release/libbvisor.a"])
        targets.append(out)
    n.build("release", "phony", targets)
    n.newline()
    return targets


# One writer per entry of toolchain.json "variants", called in sorted order.
HOST_VARIANTS = {"asan": asan, "debug": debug, "release": release}


def fuzz_engine(n, s, vdir, cxx_rule, link_rule):
    """Objects and one binary per fuzz entry point for one engine; returns the binaries."""
    lib_objs = []
    for src in s.codec + s.hostlib + s.fuzz_targets:
        o = obj_of(vdir, src)
        n.build(o, cxx_rule, src)
        lib_objs.append(o)
    bins = []
    for src in s.fuzz_entries:
        o = obj_of(vdir, src)
        n.build(o, cxx_rule, src)
        out = "%s/%s/%s" % (BUILD, vdir, os.path.splitext(os.path.basename(src))[0])
        n.build(out, link_rule, [o] + lib_objs)
        bins.append(out)
    return bins


def fuzz(n, s):
    """libFuzzer binaries (build/fuzz/), part of the default build."""
    n.comment("--- libFuzzer targets (clang, ASan + UBSan)")
    bins = fuzz_engine(n, s, "fuzz", "cxx_fuzz", "link_fuzz")
    n.build("fuzz", "phony", bins)
    n.newline()
    return bins


def fuzz_afl(n, s):
    """AFL++ harnesses (build/fuzz-afl/), only for `ninja fuzz-afl`."""
    # Always written, whether or not afl++ is installed (build.ninja must not depend
    # on it), and kept out of `default`, `all`, `check` and `check-all`: only
    # `ninja fuzz-afl` needs afl-clang-fast++.
    n.comment("--- AFL++ harnesses for the same targets (afl-clang-fast++, ASan + UBSan,")
    n.comment("--- libAFLDriver.a calls LLVMFuzzerTestOneInput); not in default, all,")
    n.comment("--- check or check-all")
    n.build("fuzz-afl", "phony", fuzz_engine(n, s, "fuzz-afl", "cxx_afl", "link_afl"))
    n.newline()


def static_tools(n, s, launcher_bin):
    """bvisor-run and bvisor-plan linked -static from the release objects, each gated by
    toolchain/check-static.sh, beside a stripped copy of the launcher (build/static/bin):
    the release artifact for images without a libc. Returns the three files."""
    n.comment("--- static tools: no libc needed at run time (build/static/bin)")
    bindir = BUILD + "/static/bin"
    targets = []
    for prog, srcs in sorted(s.tools.items()):
        unchecked = "%s/static/%s.unchecked" % (BUILD, prog)
        n.build(unchecked, "link_static",
                [obj_of("release", src) for src in srcs] + [BUILD + "/release/libbvisor.a"])
        n.build(bindir + "/" + prog, "check_static", unchecked,
                implicit=["toolchain/check-static.sh"])
        targets.append(bindir + "/" + prog)
    # bvisor-run looks for the launcher beside itself. Stripped, like the tools here.
    n.build(bindir + "/bvisor-linux-launcher", "strip", launcher_bin)
    targets.append(bindir + "/bvisor-linux-launcher")
    n.build("static", "phony", targets)
    n.newline()
    return targets


def deb(n, t, s, launcher_bin):
    """build/deb/bvisor_VERSION_amd64.deb from the installed tree (toolchain/mkdeb.sh),
    then lintian on it. Returns the package and lintian's report."""
    n.comment("--- the Debian package (ninja deb)")
    package = "%s/deb/bvisor_%s_amd64.deb" % (BUILD, t.version)
    installed = ([launcher_bin, BUILD + "/release/libbvisor.a", MAN]
                 + [BUILD + "/bin/" + prog for prog in sorted(s.tools)]
                 + listdir("host/include/bvisor", ".hpp") + listdir("codec", ".h")
                 + ["README.md", "docs/PROTOCOL.md"])
    n.build(package, "mkdeb", implicit=installed + [
        "toolchain/install.sh", "toolchain/mkdeb.sh", "packaging/changelog", "packaging/control",
        "packaging/copyright", "packaging/lintian-overrides"])
    report = BUILD + "/deb/lintian.txt"
    n.build(report, "lintian", package, variables={"tmp": BUILD + "/deb/lintian-tmp"})
    n.build("deb", "phony", [package, report])
    n.newline()
    return [package, report]


# The test cases `ninja check` leaves out of the release binary: [build] (configure.py
# and ninja on a copy of the tree, install.sh into a DESTDIR, dpkg -i of the package:
# most of check-all's time, and the package) and [static] (the static tools in an image
# without a libc: build/static/bin). `ninja check-all` runs them.
CHECK_SPEC = "~[build]~[static]"


def checks_and_tasks(n, s, launchers, variant_targets, fuzz_bins, shipped):
    """lint, check, check-all, demo, the man page, install, bench, repro, all and the
    default. `shipped`: the static tools and the package, which check-all tests too.

    check is the inner loop: the release bvisor-tests but CHECK_SPEC, and the ASan unit
    tests, with only what those run built (the launchers, the release tools and probe,
    the man page, lint). check-all is everything: every release test case and the ASan
    bvisor-tests' [unit] cases, after building the release and ASan variants whole, the
    static tools and the package (which the [build] and [static] cases use)."""
    n.comment("--- lint, tests, docs, install")
    man = MAN
    lint_stamp = BUILD + "/lint.stamp"
    all_sources = sorted(set(f for d in SOURCE_DIRS for ext in (".cpp", ".h", ".hpp") for f in listdir(d, ext)))
    # lint also follows the references in the docs (section numbers, D-codes, .md files).
    docs = listdir("docs", ".md") + ["README.md", "tests/vectors/README.md"]
    n.build(lint_stamp, "lint", implicit=["toolchain/lint.sh", ".clang-format"] + all_sources + docs)
    n.build("lint", "phony", lint_stamp)
    release_targets = variant_targets.get("release", [])
    asan_targets = variant_targets.get("asan", [])
    # The release files the tests run (not the bench, nor libbvisor.a, which only the
    # install test reads and bvisor-tests links anyway).
    release_run = [t for t in release_targets if t != BENCH and not t.endswith(".a")]
    fast = ["'%s/bin/bvisor-tests %s'" % (BUILD, CHECK_SPEC)]
    fast_inputs = launchers + release_run + [lint_stamp, man]
    if ASAN_UNIT_TESTS in asan_targets:
        fast.insert(0, ASAN_UNIT_TESTS)
        fast_inputs.append(ASAN_UNIT_TESTS)
    # The inner loop runs the two randomised harnesses a tenth as long (their full
    # counts, 2000 and 3000 launches, are check-all's and CI's).
    n.build("check", "run", implicit=fast_inputs + ["tests/run"], variables={
        "command": "BVISOR_RACE_RUNS=$${BVISOR_RACE_RUNS:-200} BVISOR_FAULT_RUNS=$${BVISOR_FAULT_RUNS:-300} "
                   "python3 tests/run " + " ".join(fast), "description": "CHECK"})
    check_all_inputs = launchers + release_targets + asan_targets + shipped + [lint_stamp, man]
    n.build("check-all", "run", implicit=check_all_inputs + ["tests/run"], variables={
        "command": "python3 tests/run %s/bin/bvisor-tests '%s/asan/bin/bvisor-tests [unit] "
                   "--allow-running-no-tests'" % (BUILD, BUILD),
        "description": "CHECK-ALL"})
    n.build("launchers", "phony", launchers)
    write_check_kernels(n, launchers + release_targets + [man])
    n.build("demo", "run", implicit=launchers + release_targets + ["host/tools/demo.sh"], variables={
        "command": "host/tools/demo.sh %s/bin" % BUILD, "description": "DEMO"})
    n.build(man, "man", "docs/bvisor-run.1.md", implicit=["toolchain/mkman.py", "host/include/bvisor/version.hpp"])
    n.build("install", "run", implicit=launchers + release_targets + [man, "toolchain/install.sh"], variables={
        "command": "toolchain/install.sh", "description": "INSTALL (PREFIX=$${PREFIX:-/usr/local} DESTDIR=$${DESTDIR})"})
    if s.bench:
        n.build("bench", "run", implicit=launchers + release_targets + [BUILD + "/bench/nop-static"], variables={
            "command": "%s/bin/bvisor-bench --launcher %s/bin/bvisor-linux-launcher"
                       " --nop %s/bench/nop-static --out %s/bench/BENCHMARKS.md"
                       % (BUILD, BUILD, BUILD, BUILD),
            "description": "BENCH"})
    n.build("repro", "run", implicit=launchers + ["toolchain/check-repro.sh"], variables={
        "command": "toolchain/check-repro.sh", "description": "REPRO"})
    n.build("all", "phony", launchers + sum((variant_targets[v] for v in sorted(variant_targets)),
                                            []) + fuzz_bins + shipped + [lint_stamp, man])
    n.newline()
    # The default builds everything: every variant, the fuzzers, the static tools, the
    # package, the man page, lint.
    n.default(["all"])


def main():
    ap = argparse.ArgumentParser(description="Probe the toolchain and write build.ninja.")
    ap.add_argument("--cxx", default=None, help="C++ compiler (default: from toolchain.json)")
    args = ap.parse_args()

    t = Toolchain(args.cxx)
    unknown = sorted(set(t.variants) ^ set(HOST_VARIANTS))
    if unknown:
        fail("toolchain.json variants and configure.py's HOST_VARIANTS differ: %s" % ", ".join(unknown))
    t.probe()
    s = Sources()

    n = Ninja()
    write_variables(n, t, sys.argv[1:])
    write_rules(n, t)
    write_regeneration(n, t)
    launchers = launcher(n, t, s)
    variant_targets = {name: HOST_VARIANTS[name](n, s) for name in sorted(t.variants)}
    fuzz_bins = []
    if s.fuzz_entries:
        fuzz_bins = fuzz(n, s)
        fuzz_afl(n, s)
    shipped = static_tools(n, s, launchers[0]) + deb(n, t, s, launchers[0])
    checks_and_tasks(n, s, launchers, variant_targets, fuzz_bins, shipped)

    # Always rewritten (same bytes for same inputs) so its mtime is newer than its inputs.
    with open(os.path.join(ROOT, "build.ninja"), "w") as f:
        f.write(n.text())
    os.makedirs(os.path.join(ROOT, BUILD), exist_ok=True)
    print("configure.py: wrote build.ninja (launcher: %s static musl; host: %s)"
          % (t.cxx, ", ".join(sorted(t.variants))))


if __name__ == "__main__":
    main()
