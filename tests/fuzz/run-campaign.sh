#!/usr/bin/env bash
# tests/fuzz/run-campaign.sh: builds one fuzz target for one engine and runs it for a
# fixed time on one core, then prints what it did. Also minimizes corpora.
#
#   tests/fuzz/run-campaign.sh libfuzzer TARGET SECONDS   libFuzzer (build/fuzz/TARGET_fuzz)
#   tests/fuzz/run-campaign.sh afl TARGET SECONDS         AFL++ (build/fuzz-afl/TARGET_fuzz)
#   tests/fuzz/run-campaign.sh minimize TARGET            libFuzzer -merge=1 of the checked-in
#                                                         corpus and every campaign's corpus
#
# TARGET is a tests/fuzz/TARGET_fuzz.cpp entry point: decode, transcript.
#
# What it is: a convenience for a developer or a long CI job; one fuzzer process,
# ninja -j1 builds. What it is not: part of `ninja check` or `check-all` (which only
# replay the checked-in corpora), or a parallel/distributed setup.
#
# Everything it writes is under build/campaign/ (never the source tree): ENGINE-TARGET/
# holds corpus/ (seeded with a copy of tests/fuzz/corpus/TARGET), crashes/ and
# fuzz.log; minimize writes build/campaign/min-TARGET/. Each run starts afresh.
# It never touches the checked-in corpus: copy a minimized corpus there yourself.
#
# Ends with: execs done, execs/s, coverage, corpus size, crashes found. Exit status 0
# when the run finished without a crash, 1 when it found one, 2 on a usage or build error.
set -uo pipefail
cd "$(dirname "$0")/../.."

usage() { sed -n '4,10p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
engine=$1 target=$2 seconds=${3:-}
seeds=tests/fuzz/corpus/$target
[ -f "tests/fuzz/${target}_fuzz.cpp" ] && [ -d "$seeds" ] || { echo "run-campaign: no target '$target'" >&2; exit 2; }

# Big enough for real plans (a frame with many argv strings is tens of KiB), far below
# the 4 MiB plan cap so each exec stays fast.
MAX_LEN=262144
# ASan's shadow memory plus a ~3 MiB PlanStorage per decode: 2 GiB is generous.
RSS_MB=2048

corpus_size() { # DIR -> "N files, B bytes"
    local n b
    n=$(find "$1" -maxdepth 1 -type f ! -name '.*' ! -name 'README.txt' | wc -l)
    b=$(find "$1" -maxdepth 1 -type f ! -name '.*' ! -name 'README.txt' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    echo "$n files, $b bytes"
}

case "$engine" in
libfuzzer)
    [[ "$seconds" =~ ^[0-9]+$ ]] || usage
    bin=build/fuzz/${target}_fuzz
    ninja -j1 "$bin" >/dev/null || { echo "run-campaign: build of $bin failed" >&2; exit 2; }
    work=build/campaign/libfuzzer-$target
    rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
    cp "$seeds"/* "$work/corpus/"
    before=$(corpus_size "$work/corpus")
    # One process (-workers=1, no -jobs/-fork): a crash ends the run, which is what we
    # want here: every finding is fixed before the next campaign.
    "$bin" -max_total_time="$seconds" -max_len=$MAX_LEN -rss_limit_mb=$RSS_MB -timeout=25 \
        -workers=1 -print_final_stats=1 -artifact_prefix="$work/crashes/" \
        "$work/corpus" >"$work/fuzz.log" 2>&1
    status=$?
    final=$(grep -E '^#[0-9]+' "$work/fuzz.log" | grep 'cov:' | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov: \1 ft: \2/p' <<<"$final")
    crashes=$(find "$work/crashes" -type f | wc -l)
    echo "engine:    libFuzzer ($bin, exit $status)"
    echo "time:      $seconds s"
    echo "execs:     ${execs:-?}"
    echo "execs/s:   ${rate:-?}"
    echo "coverage:  ${cov:-?}"
    echo "corpus:    $before before, $(corpus_size "$work/corpus") after"
    echo "crashes:   $crashes (in $work/crashes)"
    echo "log:       $work/fuzz.log"
    [ "$crashes" = 0 ] && [ "$status" = 0 ] || exit 1
    ;;
afl)
    [[ "$seconds" =~ ^[0-9]+$ ]] || usage
    bin=build/fuzz-afl/${target}_fuzz
    command -v afl-fuzz >/dev/null || { echo "run-campaign: afl-fuzz missing (toolchain/install-deps.sh fuzz)" >&2; exit 2; }
    ninja -j1 "$bin" >/dev/null || { echo "run-campaign: build of $bin failed" >&2; exit 2; }
    work=build/campaign/afl-$target
    rm -rf "$work" && mkdir -p "$work/in"
    # afl-fuzz refuses seeds over 1 MiB; ours are far smaller.
    cp "$seeds"/* "$work/in/"
    before=$(corpus_size "$work/in")
    export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1
    # Don't pin: another build may be busy on any core, and one process is one core anyway.
    export AFL_NO_AFFINITY=1
    # A core_pattern that pipes to a helper (systemd-coredump, apport, a container's
    # handler) makes afl-fuzz refuse to start; crashes are still seen via the
    # sanitizer's abort, only slower to report.
    case "$(cat /proc/sys/kernel/core_pattern 2>/dev/null)" in
        core) ;;
        *) export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 ;;
    esac
    # The sanitizers must abort (SIGABRT is what afl-fuzz counts) and not symbolize.
    export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
    # -m none: ASan reserves terabytes of virtual memory; -t: ms per exec.
    afl-fuzz -i "$work/in" -o "$work/out" -V "$seconds" -m none -t 5000 -G $MAX_LEN \
        -- "$bin" >"$work/fuzz.log" 2>&1
    status=$?
    stats=$work/out/default/fuzzer_stats
    stat() { sed -n "s/^$1 *: *//p" "$stats" 2>/dev/null | tail -n 1; }
    crashes=$(find "$work/out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    echo "engine:    AFL++ ($bin, exit $status)"
    echo "time:      $seconds s (run_time $(stat run_time) s)"
    echo "execs:     $(stat execs_done)"
    echo "execs/s:   $(stat execs_per_sec)"
    echo "coverage:  edges_found $(stat edges_found) of $(stat total_edges), map density $(stat bitmap_cvg)"
    echo "corpus:    $before before, $(stat corpus_count) entries after ($(corpus_size "$work/out/default/queue"))"
    echo "crashes:   $crashes (saved_crashes $(stat saved_crashes); in $work/out/default/crashes)"
    echo "log:       $work/fuzz.log"
    [ "$crashes" = 0 ] && [ "$status" = 0 ] || exit 1
    ;;
minimize)
    bin=build/fuzz/${target}_fuzz
    ninja -j1 "$bin" >/dev/null || { echo "run-campaign: build of $bin failed" >&2; exit 2; }
    out=build/campaign/min-$target
    rm -rf "$out" && mkdir -p "$out"
    inputs=("$seeds")
    for d in build/campaign/libfuzzer-$target/corpus build/campaign/afl-$target/out/default/queue; do
        [ -d "$d" ] && inputs+=("$d")
    done
    # -merge=1 keeps the smallest set of inputs that covers every feature any of them
    # covers, into the fresh first directory.
    "$bin" -merge=1 -max_len=$MAX_LEN -rss_limit_mb=$RSS_MB -timeout=25 "$out" "${inputs[@]}" \
        >"build/campaign/min-$target.log" 2>&1 || { tail -n 20 "build/campaign/min-$target.log" >&2; exit 1; }
    for d in "${inputs[@]}"; do echo "input:     $d: $(corpus_size "$d")"; done
    echo "minimized: $out: $(corpus_size "$out")"
    grep -E 'MERGE-OUTER: [0-9]+ new files' "build/campaign/min-$target.log" | tail -n 1
    ;;
*) usage ;;
esac
