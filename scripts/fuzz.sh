#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz/ (clang, -DHS_FUZZ=ON, in
# $BUILD_DIR, default build-fuzz) and runs each for SECONDS (default 60)
# from its seed corpus; prints per harness the executions, coverage (cov,
# ft) and what it found.  Exit 1 when a harness found a crash, leak,
# timeout or sanitizer report (the input is in $BUILD_DIR/tests/fuzz/
# crashes/HARNESS/; replay it with `HARNESS FILE`), 77 without clang.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]      (default: every harness)
# Environment: BUILD_DIR, JOBS (build jobs, default the cores), FUZZ_PARALLEL
# (harnesses run at once, default 1), FUZZ_FLAGS (more libFuzzer flags,
# e.g. "-fork=1 -ignore_crashes=1" to go on after a crash).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz.sh: clang not found (libFuzzer needs it); skipped" >&2
    exit 77
fi
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
CC=clang cmake -S . -B "$build" -DHS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_all -j "$jobs"

fz=$(cd "$build/tests/fuzz" && pwd)
# harness:seed corpus folder
all="hw:hw model:model workload:workload workflow:workflow experiment:experiment params:params
trace_csv:trace-csv trace_jsonl:trace-jsonl journal:journal summary:results resume:results merge:results"
[ $# -gt 0 ] && all=$(for h in "$@"; do echo "$all" | tr ' ' '\n' | grep "^$h:" || { echo "fuzz.sh: no harness $h" >&2; exit 2; }; done)

# Runs one harness; its log is work/NAME.log, its findings crashes/NAME/.
fuzz_one() {
    name=${1%%:*}
    seeds=${1#*:}
    rm -rf "$fz/crashes/$name"
    mkdir -p "$fz/work/$name" "$fz/crashes/$name"
    # In work/: relative paths an input names stay inside the build folder.
    cd "$fz/work"
    # The results-file harnesses check crashes and UB, not leaks: on a
    # corrupted file libhdf5 itself keeps allocations of its failed reads
    # (reported with libhdf5's frames only), which no caller can free.
    leaks=1
    case $name in summary | resume | merge) leaks=0 ;; esac
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=$leaks UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$fz/fuzz_$name" -detect_leaks=$leaks -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$fz/crashes/$name/" ${FUZZ_FLAGS:-} "$fz/work/$name" "$fz/corpus/$seeds" \
        >"$fz/work/$name.log" 2>&1 || echo "exit $?" >>"$fz/work/$name.log"
}

# The figures of one harness's log, one line.
report() {
    name=${1%%:*}
    log=$fz/work/$name.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # -fork mode prints no final stats: its last status line "#N: cov: ...".
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\)[: \t].*cov: .*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    found=$(find "$fz/crashes/$name" -type f | wc -l)
    printf '%-12s execs %-10s cov %-6s ft %-6s findings %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$found"
    [ "$found" -eq 0 ] && ! grep -q '^exit ' "$log"
}

par=${FUZZ_PARALLEL:-1}
n=0
for h in $all; do
    fuzz_one "$h" &
    n=$((n + 1))
    [ $((n % par)) -eq 0 ] && wait
done
wait
status=0
for h in $all; do
    report "$h" || status=1
done
[ $status -eq 0 ] || echo "fuzz.sh: findings above; logs in $fz/work, inputs in $fz/crashes" >&2
exit $status
