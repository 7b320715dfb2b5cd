#!/usr/bin/env python3
"""tests/kernels/check-kernels.py: the real-kernel matrix (`ninja check-kernels`).

Runs the kernel-facing tests (tests/kernels/run-tests.py) on this machine's kernel, then
inside a qemu guest on each kernel of tests/kernels/kernels.txt (fetched by fetch.sh,
booted by run-in-guest.sh), and judges every outcome against
tests/kernels/expectations.txt: a test passes unless that table says it skips on that
kernel, and then its skip reason must contain the table's text. Anything else (a failure,
a timeout, an unexpected skip, a pass where a skip was expected, a table line naming a
test case that does not exist) is a failure.

Prints, per kernel, `kernel <release>: N passed, N failed, N skipped` (after the
mismatches that explain its failures), then the summed `N passed, N failed, N skipped`
as the last line. Exit status 0 iff nothing failed. Each kernel's raw results, the
guest's console and the boot and run times are kept in build/kernels/results/<release>/.

Usage: check-kernels.py [KERNEL...]   host, or series of kernels.txt (default: all)
  BVISOR_KERNELS="host 6.1" in the environment does the same as arguments.

What it is not: a test runner of its own (run-tests.py runs the tests, one process
each under a hard timeout) or a kernel installer (fetch.sh only extracts packages).
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "kernels")
RESULTS = os.path.join(ROOT, "build", "kernels", "results")

# Time limits. The rule: on a loaded 2-core machine (CI beside another build, where
# qemu's TCG thread gets a third of the CPU it gets idle) a test case takes at most about
# half its limit. Idle time against the limit is not enough: on a busy machine the 6.1
# guest's everyday-programs case ran past the old 120 s limit.
#
# Measured (2026-12-02, fresh-clone CI, then the 6.1 guest again beside a `ninja -j2 all`
# on this 2-core machine): a guest boots in 6-9 s; its 148 cases take 382 s idle (6.1
# and 6.12 alike); under the build every case ran 2.8-3.6 x slower (adversarial frames
# 5.5 -> 19.7 s, O_TRUNC 17.0 -> 54.0 s, fault injection 19.5 -> 54.3 s, everyday
# programs 52.6 -> 156.5 s). So each limit below holds a case's loaded time at most about
# half its limit, and the slowest idle case takes at most a third of the default.
PER_TEST = 180  # loaded, the slowest default case (O_TRUNC) took 54 s
SLOW_TESTS = {  # test case name: its own limit, seconds
    # 52.6 s idle (6.1), 156.5 s under a build
    "everyday programs run under bvisor-run with their natural command lines, and fail "
    "when a root they need is withheld": 320,
    # 19.5 s idle, 54.3 s under a build (200 launches)
    "fault injection: under signals at random moments the report matches ground truth": 400,
    # 44.6 s idle (200 raced launches); about 3 x that loaded
    "race harness: paths swapped for symlinks and fifos during thousands of launches "
    "never steer a write, never hang bvisor-run": 400,
    # 54.4 s idle on 6.1: about 165 s loaded, too close to the default
    "static bvisor-run confines a static workload in an image with no libc, shell or /etc": 400,
}
# All test cases of one kernel end by its deadline (run-tests.py cuts the case running
# then, and fails those not started). The host runs natively (148 cases well under a
# minute); a guest took 382 s idle, so 1200 s holds a 3 x slowdown of all of it.
DEADLINE = {"host": 300, "guest": 1200}
BOOT = 60  # seconds a guest may take beyond its deadline: boot, listing, shutdown
# The whole matrix, fetching included, ends within MATRIX_BUDGET: each kernel's deadline
# is cut to what is left of it, and a kernel with less than MIN_DEADLINE left fails
# unrun. So even a run where every test case hangs ends inside the budget (the later
# kernels failing unrun), and 27 minutes leave 13 of CI's 40 for the rest of .ci/run (a
# whole clean-clone CI run took 22.5 minutes). Idle, the matrix takes about 14 minutes
# (host 1, two guests 6.5 each), so the budget holds a 1.9 x slowdown of all of it,
# each case's limit a 3 x one: a machine loaded for the whole run needs a longer CI
# budget, which is the way to more.
MATRIX_BUDGET = 1620
MIN_DEADLINE = 60
FEATURE_SKIP = "kernel feature missing: "  # BVISOR_REQUIRE_KERNEL_FEATURE's SKIP prefix


def series_of(release):
    m = re.match(r"(\d+\.\d+)", release)
    return m.group(1) if m else release


def load_expectations(path):
    """{(series, test name): skip text} from lines `series | test name | skip: text`."""
    table = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 3 or not parts[2].startswith("skip:") or not parts[2][5:].strip():
                sys.exit("check-kernels: %s:%d: want `series | test case | skip: reason text`"
                         % (path, number))
            table[(parts[0], parts[1])] = parts[2][5:].strip()
    return table


def read_results(path):
    """(rows, complete): run-tests.py ends the file with `# complete` once all ran."""
    rows, complete = [], False
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.startswith("# complete"):
                    complete = True
                    continue
                outcome, secs, name, reason = line.rstrip("\n").split("\t")
                rows.append((outcome, float(secs), name, reason))
    return rows, complete


def judge(release, rows, table, complete):
    """(passed, failed, skipped, mismatch lines) for one kernel. Table lines naming a
    test case that did not run are failures only when the run is complete."""
    series = series_of(release)
    passed = failed = skipped = 0
    bad = []
    names = set()
    for outcome, _, name, reason in rows:
        names.add(name)
        want = table.get((series, name))
        if outcome == "pass" and want is None:
            passed += 1
        elif (outcome == "skip" and want is not None and reason.startswith(FEATURE_SKIP)
              and want in reason):
            skipped += 1
        else:
            failed += 1
            if outcome == "pass":
                bad.append("passed, but expectations.txt says it skips (%s): %s" % (want, name))
            elif outcome == "skip":
                bad.append("unexpected skip (%s): %s" % (reason, name) if want is None else
                           "skipped for another reason (%s, expected %s): %s" % (reason, want, name))
            else:
                bad.append("%s (%s): %s" % (outcome, reason, name))
    if complete:
        for (s, name) in sorted(table):
            if s == series and name not in names:
                failed += 1
                bad.append("expectations.txt names a test case that did not run: " + name)
    return passed, failed, skipped, bad


def stream(cmd, log_path, marker=None):
    """Runs cmd, copying its output here and to log_path; returns (status, seconds to
    the first line containing marker or None, total seconds)."""
    start = time.monotonic()
    seen = None
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True, errors="replace")
        for line in proc.stdout:
            if marker and seen is None and marker in line:
                seen = time.monotonic() - start
            sys.stdout.write(line)
            sys.stdout.flush()
            log.write(line)
        status = proc.wait()
    return status, seen, time.monotonic() - start


def results_dir(series, release):
    return os.path.join(RESULTS, release if series != "host" else "host-" + release)


def run_kernel(series, release, deadline):
    """Runs the tests on one kernel, all within `deadline` seconds (a guest gets BOOT
    more); returns (results path, status, boot s, total s)."""
    out = results_dir(series, release)
    os.makedirs(out, exist_ok=True)
    for stale in ("results.tsv", "status"):
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    tests = ["--timeout", str(PER_TEST), "--deadline", str(deadline)]
    for name, secs in sorted(SLOW_TESTS.items()):
        tests += ["--limit", str(secs), name]
    if series == "host":
        cmd = ["python3", os.path.join(HERE, "run-tests.py"), "--out",
               os.path.join(out, "results.tsv")] + tests
        status, _, total = stream(cmd, os.path.join(out, "console.log"))
        return os.path.join(out, "results.tsv"), status, 0.0, total
    cmd = [os.path.join(HERE, "run-in-guest.sh"), "-j", out, "-t", str(deadline + BOOT), release,
           "python3", "tests/kernels/run-tests.py", "--out", "/run/bvisor-job/results.tsv"] + tests
    status, boot, total = stream(cmd, os.path.join(out, "console.log"),
                                 marker="run-in-guest: the command starts")
    return os.path.join(out, "results.tsv"), status, boot or 0.0, total


def main():
    start = time.monotonic()
    wanted = sys.argv[1:] or os.environ.get("BVISOR_KERNELS", "").split()
    table = load_expectations(os.path.join(HERE, "expectations.txt"))
    kernels = []
    if not wanted or "host" in wanted:
        kernels.append(("host", os.uname().release))
    guests = [w for w in wanted if w != "host"]
    fetched = subprocess.run([os.path.join(HERE, "fetch.sh")] + guests, cwd=ROOT,
                             stdout=subprocess.PIPE, universal_newlines=True)
    if fetched.returncode != 0:
        print("check-kernels: fetching the kernels failed")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    kernels += [tuple(l.split()) for l in fetched.stdout.splitlines() if l.strip()]

    lines, totals = [], [0, 0, 0]
    for series, release in kernels:
        where = "this machine's kernel" if series == "host" else "a qemu guest"
        print("==> kernel %s (%s)" % (release, where), flush=True)
        left = MATRIX_BUDGET - (time.monotonic() - start) - (0 if series == "host" else BOOT)
        deadline = int(min(DEADLINE["host" if series == "host" else "guest"], left))
        if deadline < MIN_DEADLINE:
            line = "kernel %s: 0 passed, 1 failed, 0 skipped" % release
            print("check-kernels: %s: not run: %d s of the matrix's %d s budget are left"
                  % (release, max(left, 0), MATRIX_BUDGET))
            print(line, flush=True)
            lines.append("%s   [not run]" % line)
            totals[1] += 1
            continue
        results, status, boot, total = run_kernel(series, release, deadline)
        rows, complete = read_results(results)
        # A run that ended early (a crashed guest) fails, whatever the rows it left say.
        passed, failed, skipped, bad = judge(release, rows, table, complete)
        if not complete:
            failed += 1
            bad.append("the run did not complete (exit status %d); %d test cases ran"
                       % (status, len(rows)))
        timing = "%s%.0f s tests" % ("boot %.1f s, " % boot if series != "host" else "",
                                       total - boot)
        for b in bad:
            print("check-kernels: %s: %s" % (release, b))
        line = "kernel %s: %d passed, %d failed, %d skipped" % (release, passed, failed, skipped)
        print(line, flush=True)
        with open(os.path.join(os.path.dirname(results), "observed-expectations.txt"), "w") as f:
            for outcome, _, name, reason in rows:
                if outcome == "skip":
                    f.write("%s | %s | skip: %s\n" % (series_of(release), name,
                                                     reason.replace(FEATURE_SKIP, "", 1)))
        with open(os.path.join(os.path.dirname(results), "times"), "w") as f:
            f.write("boot_seconds %.1f\ntotal_seconds %.1f\n" % (boot, total))
        lines.append("%s   [%s]" % (line, timing))
        totals = [totals[0] + passed, totals[1] + failed, totals[2] + skipped]
    print("==> check-kernels")
    for l in lines:
        print(l)
    print("%d passed, %d failed, %d skipped" % tuple(totals), flush=True)
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
