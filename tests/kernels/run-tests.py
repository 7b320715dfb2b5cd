#!/usr/bin/env python3
"""tests/kernels/run-tests.py: runs the kernel-facing test cases of bvisor-tests on the
running kernel, each in its own process under a hard timeout, and records each outcome.

Usage: run-tests.py [--tests BIN] [--out FILE] [--timeout SECS] [--limit SECS NAME]...
                    [--deadline SECS] [SPEC]
  SPEC      a Catch2 test spec; default KERNEL_FACING (every test case but the [unit],
            [build] and [install] ones, which never touch the kernel and are slow under
            emulation)
  --timeout the limit of each test case, seconds (a case over it is killed: timeout)
  --limit   the limit of the test case NAME instead (repeatable); a NAME that is not a
            test case of this run is an error, so a renamed case cannot lose its limit
  --deadline  seconds for the whole run: the case running then is cut (timeout), those
            not started by then fail unrun, so the run ends by the deadline
  --out     writes one line per test case: outcome TAB seconds TAB name TAB reason,
            outcome one of pass, fail, skip, timeout, and a last line `# complete: N
            test cases` once every test case ran (check-kernels.py compares them with
            tests/kernels/expectations.txt)

It prints one line per test case as it ends (a failure with the test's own output) and
ends with `run-tests: N passed, N failed, N skipped` (a timeout counts as failed). Exit
status 0 iff nothing failed. Raw outcomes only: whether a skip was expected on this kernel is
check-kernels.py's question, not this script's.

What it is not: a replacement for tests/run (that one runs whole binaries, with
BVISOR_REQUIRE_KERNEL_FEATURES honoured). Here that variable is removed, so a missing
kernel feature shows as the skip it is, with its reason, and the expectation table judges.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL_FACING = "~[unit]~[build]~[install]"
TALLY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", re.M)


def spec_for(name):
    """A Catch2 test spec matching exactly the test case `name`."""
    return re.sub(r'([\\,\[\]*~"])', r"\\\1", name)


def list_tests(binary, spec, env):
    out = subprocess.run([binary, spec, "--list-tests", "--reporter", "xml"], env=env,
                         stdout=subprocess.PIPE, check=True).stdout
    return [t.findtext("Name") for t in ET.fromstring(out).iter("TestCase")]


def run_one(binary, name, env, timeout):
    """(outcome, seconds, reason, output) for one test case in its own process group."""
    start = time.monotonic()
    proc = subprocess.Popen([binary, spec_for(name)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, errors="replace",
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The whole group: a hung launcher or workload must not outlive its test.
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return "timeout", time.monotonic() - start, "no end after %d s" % timeout, output
    secs = time.monotonic() - start
    tally = TALLY.findall(output)
    if not tally:
        return "fail", secs, "no tally line (exit status %d)" % proc.returncode, output
    passed, failed, skipped = (int(x) for x in tally[-1])
    if (passed, failed, skipped) == (1, 0, 0) and proc.returncode == 0:
        return "pass", secs, "", output
    if (passed, failed, skipped) == (0, 0, 1):
        # tests/support/main.cpp prints "SKIPPED <name>: <reason>" (names contain ": ").
        prefix = "SKIPPED %s: " % name
        reasons = [l[len(prefix):] for l in output.splitlines() if l.startswith(prefix)]
        return "skip", secs, reasons[0] if reasons else "(no reason printed)", output
    if passed + failed + skipped != 1:
        return "fail", secs, "ran %d test cases, not 1" % (passed + failed + skipped), output
    return "fail", secs, "exit status %d" % proc.returncode, output


def main():
    ap = argparse.ArgumentParser(description="Run the kernel-facing tests, one process each.")
    ap.add_argument("spec", nargs="?", default=KERNEL_FACING)
    ap.add_argument("--tests", default=os.path.join(ROOT, "build/bin/bvisor-tests"))
    ap.add_argument("--out")
    ap.add_argument("--timeout", type=int, default=180, help="per test case, seconds")
    ap.add_argument("--limit", nargs=2, action="append", default=[], metavar=("SECS", "NAME"),
                    help="the limit of test case NAME instead of --timeout")
    ap.add_argument("--deadline", type=int, default=0,
                    help="seconds for the whole run; the case running then is cut, later "
                         "ones fail unrun")
    args = ap.parse_args()
    limits = {name: int(secs) for secs, name in args.limit}

    env = dict(os.environ)
    env.pop("BVISOR_REQUIRE_KERNEL_FEATURES", None)
    env.setdefault("BVISOR_BIN_DIR", os.path.join(ROOT, "build", "bin"))
    env.setdefault("BVISOR_TEST_DIR", os.path.join(ROOT, "build", "test"))
    env.setdefault("BVISOR_SOURCE_ROOT", ROOT)
    # The fault-injection harness launches 3000 workloads by default; under emulation a
    # launch takes 0.3-0.5 s, so a guest runs a sample of it.
    env.setdefault("BVISOR_FAULT_RUNS", "200")
    # The race harness likewise: 2000 raced launches by default, 200 in a guest.
    env.setdefault("BVISOR_RACE_RUNS", "200")
    names = list_tests(args.tests, args.spec, env)
    unknown = sorted(set(limits) - set(names))
    if unknown:
        sys.exit("run-tests: --limit names no test case of %s: %s" % (args.spec, "; ".join(unknown)))
    print("run-tests: %s: %d test cases on %s" % (args.spec, len(names), os.uname().release),
          flush=True)
    begin = time.monotonic()
    rows, totals = [], {"pass": 0, "fail": 0, "skip": 0, "timeout": 0}
    for name in names:
        limit = limits.get(name, args.timeout)
        left = args.deadline - (time.monotonic() - begin) if args.deadline else limit
        if left <= 0:
            outcome, secs, reason, output = "fail", 0.0, "not run: the %d s deadline passed" % args.deadline, ""
        elif left < limit:
            outcome, secs, reason, output = run_one(args.tests, name, env, left)
            if outcome == "timeout":
                reason = "cut by the %d s deadline after %.0f s (its limit: %d s)" % (
                    args.deadline, secs, limit)
        else:
            outcome, secs, reason, output = run_one(args.tests, name, env, limit)
        totals[outcome] += 1
        rows.append((outcome, secs, name, reason))
        print("%-7s %6.1fs  %s%s" % (outcome, secs, name, "  [" + reason + "]" if reason else ""),
              flush=True)
        if outcome in ("fail", "timeout") and output:
            tail = output.splitlines()[-80:]
            print("".join("    | " + l + "\n" for l in tail), end="", flush=True)
        if args.out:
            # Rewritten after every test: a run cut short still leaves what it saw.
            with open(args.out + ".tmp", "w") as f:
                for r in rows:
                    f.write("%s\t%.1f\t%s\t%s\n" % (r[0], r[1], r[2], r[3].replace("\t", " ")))
            os.replace(args.out + ".tmp", args.out)
    if args.out:
        with open(args.out, "a") as f:
            f.write("# complete: %d test cases\n" % len(rows))
    print("run-tests: %.0f s" % (time.monotonic() - begin))
    # Prefixed: the raw tally is not the judged one (check-kernels.py prints that).
    print("run-tests: %d passed, %d failed, %d skipped" % (
        totals["pass"], totals["fail"] + totals["timeout"], totals["skip"]), flush=True)
    return 1 if totals["fail"] + totals["timeout"] else 0


if __name__ == "__main__":
    sys.exit(main())
