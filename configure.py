#!/usr/bin/env python3
"""configure.py: probes the toolchain and writes the top-level build.ninja.

What it is: the only build script. It reads toolchain/toolchain.json (the toolchain
as data), checks that the compiler accepts every flag listed there (failing with a
one-line reason if not), lists the sources, and writes build.ninja.

What it is not: a package manager (toolchain/install-deps.sh installs packages) or a
test runner (tests/run runs the test binaries).

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

# Directories whose listing decides the build graph: adding or removing a source
# file changes the directory's mtime, and ninja then re-runs configure.
SOURCE_DIRS = [
    "codec",
    "host/include/bvisor",
    "host/lib",
    "host/tools",
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
    fetches the kernels into build/kernels/ itself). Not part of `check` or `all`: it needs
    the kernels package group and several minutes of emulation."""
    scripts = ["tests/kernels/" + f for f in ("check-kernels.py", "expectations.txt", "fetch.sh",
                                              "guest-init.sh", "initramfs.py", "kernels.txt",
                                              "run-in-guest.sh", "run-tests.py")]
    n.build("check-kernels", "run", implicit=inputs + scripts, variables={
        "command": "python3 tests/kernels/check-kernels.py", "description": "CHECK-KERNELS"})


def main():
    ap = argparse.ArgumentParser(description="Probe the toolchain and write build.ninja.")
    ap.add_argument("--cxx", default=None, help="C++ compiler (default: from toolchain.json)")
    args = ap.parse_args()
    configure_args = sys.argv[1:]

    with open(os.path.join(ROOT, TOOLCHAIN_JSON)) as f:
        tc = json.load(f)
    with open(os.path.join(ROOT, "host/include/bvisor/version.hpp")) as f:
        m = re.search(r'kVersion = "([^"]+)"', f.read())
    if not m:
        fail("host/include/bvisor/version.hpp has no kVersion")
    version = m.group(1)
    cxx = args.cxx or tc["cxx"]

    rc, resource_dir = run([cxx, "-print-resource-dir"])
    if rc != 0:
        fail("%s not found or not clang (needed: -print-resource-dir): %s"
             % (cxx, first_error_line(resource_dir)))
    resource_dir = resource_dir.strip()

    musl = tc["musl"]
    for p in [musl["include"], musl["lib"]] + list(tc["uapi_shim"][k] for k in ("linux", "asm", "asm-generic")):
        if not os.path.isdir(p):
            fail("missing %s (install the build packages: toolchain/install-deps.sh)" % p)

    warnings = tc["warnings"]
    codec_warnings = tc["codec_warnings"]
    kinc = BUILD + "/kinc"

    def subst(flags, root):
        return [f.replace("${root}", root) for f in flags]

    L = tc["launcher"]
    launcher_cxxflags = (L["cxxflags"] + ["-isystem", musl["include"], "-isystem",
                         resource_dir + "/include", "-idirafter", kinc] + warnings)
    builtins = resource_dir + "/" + L["builtins"]
    crt_begin = [musl["lib"] + "/" + c for c in musl["crt_static"]]
    crt_end = [musl["lib"] + "/" + c for c in musl["crt_end"]]
    libc = musl["lib"] + "/" + musl["libc"]

    H = tc["host"]
    host_cxxflags = H["cxxflags"] + warnings
    variants = tc["variants"]
    F = tc["fuzz"]
    A = tc["afl"]

    # Probe every required flag with the real compiler, in a scratch directory.
    with tempfile.TemporaryDirectory() as tmp:
        shim = os.path.join(tmp, "kinc")
        os.mkdir(shim)
        for name in ("linux", "asm", "asm-generic"):
            os.symlink(tc["uapi_shim"][name], os.path.join(shim, name))
        probe_lflags = [f if f != kinc else shim for f in subst(launcher_cxxflags, ROOT)]
        probe_flags("launcher", cxx, probe_lflags + codec_warnings, LAUNCHER_PROBE, tmp,
                    lambda o, e: [cxx] + L["ldflags"] + crt_begin + [o, libc, builtins] + crt_end
                    + ["-o", e])
        for name, v in sorted(variants.items()):
            probe_flags("host/" + name, cxx, subst(host_cxxflags + v["cxxflags"], ROOT), HOST_PROBE,
                        tmp)
        probe_flags("fuzz", cxx, subst(F["cxxflags"], ROOT), FUZZ_PROBE, tmp,
                    lambda o, e: [cxx] + F["ldflags"] + [o, "-o", e])
    for lib in tc["catch2"]["libs"]:
        if not os.path.exists(lib):
            fail("missing %s (Catch2 v3: toolchain/install-deps.sh)" % lib)

    # ---------------------------------------------------------------- sources
    codec_srcs = listdir("codec", ".cpp")
    launcher_srcs = listdir("launcher", ".cpp") + listdir("launcher/sys", ".cpp")
    hostlib_srcs = listdir("host/lib", ".cpp")
    tool_srcs = listdir("host/tools", ".cpp")
    support_srcs = listdir("tests/support", ".cpp")
    unit_srcs = listdir("tests/unit", ".cpp")
    integration_srcs = listdir("tests/integration", ".cpp")
    probe_srcs = listdir("tests/probe", ".cpp")
    fuzz_srcs = listdir("tests/fuzz", ".cpp")
    # nop_static.cpp is the bench's static no-op workload, built like the launcher.
    bench_srcs = [s for s in listdir("tests/bench", ".cpp") if not s.endswith("nop_static.cpp")]
    fuzz_entries = [s for s in fuzz_srcs if s.endswith("_fuzz.cpp")]
    fuzz_targets = [s for s in fuzz_srcs if not s.endswith("_fuzz.cpp")]

    n = Ninja()
    n.comment("Generated by configure.py from toolchain/toolchain.json. Do not edit: edit those")
    n.comment("and run ./configure.py (ninja re-runs it when they change).")
    n.comment("Toolchain: " + tc["toolchain_version"])
    n.newline()
    n.variable("ninja_required_version", "1.10")
    n.variable("configure_args", " ".join(configure_args))
    n.variable("cxx", cxx)
    n.variable("root_map", "-ffile-prefix-map=$$(pwd)=.")
    n.newline()

    def flags(lst):
        return " ".join(lst).replace("-ffile-prefix-map=${root}=.", "$root_map")

    n.comment("--- flags")
    n.variable("launcher_cxxflags", flags(launcher_cxxflags))
    n.variable("launcher_ldflags", flags(L["ldflags"]))
    n.variable("launcher_crt_begin", " ".join(crt_begin))
    n.variable("launcher_libs", " ".join([libc, builtins] + crt_end))
    n.variable("codec_warnings", " ".join(codec_warnings))
    n.variable("host_cxxflags", flags(host_cxxflags))
    for name, v in sorted(variants.items()):
        n.variable("%s_cxxflags" % name, flags(v["cxxflags"]))
        n.variable("%s_ldflags" % name, flags(v["ldflags"]))
    n.variable("fuzz_cxxflags", flags(F["cxxflags"] + warnings))
    n.variable("fuzz_ldflags", flags(F["ldflags"]))
    n.variable("afl_cxx", A["cxx"])
    n.variable("afl_cxxflags", flags(A["cxxflags"] + warnings))
    n.variable("afl_ldflags", flags(A["ldflags"]))
    n.variable("afl_driver", A["driver"])
    n.variable("catch2_libs", " ".join(tc["catch2"]["libs"]))
    n.newline()

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
    for name in sorted(variants):
        n.rule("cxx_" + name,
               "$cxx $host_cxxflags $%s_cxxflags $extra -MD -MF $out.d -c $in -o $out" % name,
               "CXX(%s) $in" % name, depfile="$out.d", deps="gcc")
        n.rule("link_" + name, "$cxx $%s_ldflags $in $libs -o $out" % name,
               "LINK(%s) $out" % name)
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
    n.rule("man", "python3 toolchain/mkman.py $in %s $out" % version, "MAN $out")
    n.rule("run", "$command", "$description", pool="console")
    n.newline()

    # ---------------------------------------------------------------- regeneration
    n.comment("--- regeneration")
    # Only directories that exist: git does not keep empty ones in a fresh clone.
    watched = [d for d in SOURCE_DIRS if os.path.isdir(os.path.join(ROOT, d))]
    n.build("build.ninja", "configure", implicit=["configure.py", TOOLCHAIN_JSON] + watched)
    n.newline()
    n.build(kinc + "/.stamp", "kinc", implicit=["toolchain/make-kinc.sh", TOOLCHAIN_JSON],
            variables={"out_dir": kinc})
    n.newline()

    # ---------------------------------------------------------------- launcher
    n.comment("--- the static launcher (musl, freestanding C++)")

    def launcher_objs(vdir, extra):
        objs = []
        for src in launcher_srcs + codec_srcs:
            o = obj_of(vdir, src)
            ex = extra + (" $codec_warnings" if src.startswith("codec/") else "")
            n.build(o, "cxx_launcher", src, order_only=[kinc + "/.stamp"],
                    variables={"extra": ex.strip()} if ex.strip() else None)
            objs.append(o)
        return objs

    lobjs = launcher_objs("launcher", "")
    n.build(BUILD + "/launcher/bvisor-linux-launcher.unchecked", "link_launcher", lobjs)
    n.build(BUILD + "/bin/bvisor-linux-launcher", "check_launcher",
            BUILD + "/launcher/bvisor-linux-launcher.unchecked",
            implicit=["toolchain/check-launcher.sh"])
    # A static do-nothing program built exactly like the launcher: the bench's floor for
    # "exec one small static binary", with and without the launcher in front of it.
    nop_src = "tests/bench/nop_static.cpp"
    if os.path.exists(os.path.join(ROOT, nop_src)):
        nop_obj = obj_of("launcher", nop_src)
        n.build(nop_obj, "cxx_launcher", nop_src, order_only=[kinc + "/.stamp"])
        n.build(BUILD + "/bench/nop-static", "link_launcher", [nop_obj])
    tobjs = launcher_objs("launcher-testhooks", "-DBVISOR_TEST_HOOKS=1")
    n.build(BUILD + "/launcher-testhooks/bvisor-linux-launcher.unchecked", "link_launcher",
            tobjs)
    n.build(BUILD + "/test/bvisor-linux-launcher-testhooks", "check_launcher",
            BUILD + "/launcher-testhooks/bvisor-linux-launcher.unchecked",
            implicit=["toolchain/check-launcher.sh"])
    n.newline()

    # ---------------------------------------------------------------- host variants
    variant_targets = {}
    for name in sorted(variants):
        n.comment("--- host variant: " + name)
        vdir = name
        bindir = BUILD + "/bin" if name == "release" else "%s/%s/bin" % (BUILD, name)

        def objs_for(srcs, extra=""):
            out = []
            for src in srcs:
                o = obj_of(vdir, src)
                ex = extra
                if src.startswith("codec/"):
                    ex = (ex + " $codec_warnings").strip()
                n.build(o, "cxx_" + name, src, variables={"extra": ex} if ex else None)
                out.append(o)
            return out

        lib = "%s/%s/libbvisor.a" % (BUILD, vdir)
        n.build(lib, "ar", objs_for(codec_srcs + hostlib_srcs))
        targets = [lib]
        for src in tool_srcs:
            prog = os.path.splitext(os.path.basename(src))[0]
            out = bindir + "/" + prog
            n.build(out, "link_" + name, objs_for([src]) + [lib])
            targets.append(out)
        if probe_srcs:
            out = bindir + "/bvisor-test-probe"
            n.build(out, "link_" + name, objs_for(probe_srcs))
            targets.append(out)
        test_objs = objs_for(support_srcs + unit_srcs + integration_srcs + fuzz_targets)
        if test_objs:
            out = bindir + "/bvisor-tests"
            n.build(out, "link_" + name, test_objs + [lib], variables={"libs": "$catch2_libs"})
            targets.append(out)
        if bench_srcs and name == "release":
            out = bindir + "/bvisor-bench"
            # The bench reuses the tests' kernel probes (already compiled for the tests).
            n.build(out, "link_" + name, objs_for(bench_srcs) + [obj_of(vdir, "tests/support/kernel.cpp"), lib])
            targets.append(out)
        n.build(name, "phony", targets)
        variant_targets[name] = targets
        n.newline()

    # ---------------------------------------------------------------- fuzz
    def fuzz_engine(vdir, cxx_rule, link_rule):
        """Objects and one binary per fuzz entry point for one engine; returns the binaries."""
        lib_objs = []
        for src in codec_srcs + hostlib_srcs + fuzz_targets:
            o = obj_of(vdir, src)
            n.build(o, cxx_rule, src)
            lib_objs.append(o)
        bins = []
        for src in fuzz_entries:
            o = obj_of(vdir, src)
            n.build(o, cxx_rule, src)
            out = "%s/%s/%s" % (BUILD, vdir, os.path.splitext(os.path.basename(src))[0])
            n.build(out, link_rule, [o] + lib_objs)
            bins.append(out)
        return bins

    fuzz_bins = []
    if fuzz_entries:
        n.comment("--- libFuzzer targets (clang, ASan + UBSan)")
        fuzz_bins = fuzz_engine("fuzz", "cxx_fuzz", "link_fuzz")
        n.build("fuzz", "phony", fuzz_bins)
        n.newline()

        # Always written, whether or not afl++ is installed (build.ninja must not depend
        # on it), and kept out of `default`, `all` and `check`: only `ninja fuzz-afl`
        # needs afl-clang-fast++.
        n.comment("--- AFL++ harnesses for the same targets (afl-clang-fast++, ASan + UBSan,")
        n.comment("--- libAFLDriver.a calls LLVMFuzzerTestOneInput); not in default, all or check")
        n.build("fuzz-afl", "phony", fuzz_engine("fuzz-afl", "cxx_afl", "link_afl"))
        n.newline()

    # ---------------------------------------------------------------- checks
    n.comment("--- lint, tests, docs, install")
    man = BUILD + "/man/bvisor-run.1"
    lint_stamp = BUILD + "/lint.stamp"
    all_sources = sorted(set(f for d in SOURCE_DIRS for ext in (".cpp", ".h", ".hpp") for f in listdir(d, ext)))
    n.build(lint_stamp, "lint", implicit=["toolchain/lint.sh", ".clang-format"] + all_sources)
    n.build("lint", "phony", lint_stamp)
    launchers = [BUILD + "/bin/bvisor-linux-launcher", BUILD + "/test/bvisor-linux-launcher-testhooks"]
    release = variant_targets.get("release", [])
    asan = variant_targets.get("asan", [])
    check_inputs = launchers + release + asan + [lint_stamp, man]
    n.build("check", "run", implicit=check_inputs + ["tests/run"], variables={
        "command": "python3 tests/run %s/bin/bvisor-tests '%s/asan/bin/bvisor-tests [unit] "
                   "--allow-running-no-tests'" % (BUILD, BUILD),
        "description": "CHECK"})
    n.build("launchers", "phony", launchers)
    write_check_kernels(n, launchers + release + [man])
    n.build("demo", "run", implicit=launchers + release + ["host/tools/demo.sh"], variables={
        "command": "host/tools/demo.sh %s/bin" % BUILD, "description": "DEMO"})
    n.build(man, "man", "docs/bvisor-run.1.md", implicit=["toolchain/mkman.py", "host/include/bvisor/version.hpp"])
    n.build("install", "run", implicit=launchers + release + [man, "toolchain/install.sh"], variables={
        "command": "toolchain/install.sh", "description": "INSTALL (PREFIX=$${PREFIX:-/usr/local} DESTDIR=$${DESTDIR})"})
    if bench_srcs:
        n.build("bench", "run", implicit=launchers + release + [BUILD + "/bench/nop-static"], variables={
            "command": "%s/bin/bvisor-bench --launcher %s/bin/bvisor-linux-launcher"
                       " --nop %s/bench/nop-static --out %s/bench/BENCHMARKS.md"
                       % (BUILD, BUILD, BUILD, BUILD),
            "description": "BENCH"})
    n.build("repro", "run", implicit=launchers + ["toolchain/check-repro.sh"], variables={
        "command": "toolchain/check-repro.sh", "description": "REPRO"})
    n.build("all", "phony", launchers + sum((variant_targets[v] for v in sorted(variant_targets)),
                                            []) + fuzz_bins + [lint_stamp, man])
    n.newline()
    # The default builds everything: every variant, the fuzzers, the man page, lint.
    n.default(["all"])

    text = n.text()
    # Always rewritten (same bytes for same inputs) so its mtime is newer than its inputs.
    with open(os.path.join(ROOT, "build.ninja"), "w") as f:
        f.write(text)
    os.makedirs(os.path.join(ROOT, BUILD), exist_ok=True)
    print("configure.py: wrote build.ninja (launcher: %s static musl; host: %s)"
          % (cxx, ", ".join(sorted(variants))))


if __name__ == "__main__":
    main()
