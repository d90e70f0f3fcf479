#!/bin/sh
# Stress check of the real (OpenCL) backend's teardown: INSTANCES processes
# at once, ROUNDS times over, rotating `hetsoc validate`, `hetsoc real` (two
# policies and granularities) and, when the build beside the binary has it,
# tests/real/test_real_run, on pocl-cpu-2pu (each a few seconds).  It was
# written against a PoCL race (a device worker thread crashing after our
# completion callback when several executors are torn down at once on an
# oversubscribed machine; real/exec/exec_real.c, release_late and
# real_destroy), which a lone run never shows; test_real_run is the case
# that catches it.  Prints one line per round
# and a total; exits 1 if any process failed (non-zero status, a signal, or a
# report without its JSON), 77 without an OpenCL device.
#   nice -n 19 scripts/real-stress.sh build/hetsoc 10 5
# Not in ctest: it oversubscribes the machine on purpose for minutes.
set -u
bin=${1:?usage: scripts/real-stress.sh HETSOC_BINARY [INSTANCES [ROUNDS]]}
instances=${2:-10}
rounds=${3:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
small="--hw pocl-cpu-2pu --workload tiny-agentic-rag --set workload.requests=6"
if ! "$bin" real $small --policy fifo --json >"$tmp/probe" 2>"$tmp/probe.err"; then
    if grep -q "no OpenCL" "$tmp/probe.err"; then
        echo "skipped: $(cat "$tmp/probe.err")"
        exit 77
    fi
    echo "a lone run fails already:"; cat "$tmp/probe.err"
    exit 1
fi

# The unit test that first showed the race (its validate test builds and
# frees executors back to back), when the build beside the binary has it.
unit=$(dirname "$bin")/tests/real/test_real_run
[ -x "$unit" ] || unit=""

# one ROUND I: instance I of round ROUND, its status in $tmp/ROUND.I.rc.
one() {
    out="$tmp/$1.$2"
    json=1
    case $(($2 % 4)) in
    0) "$bin" validate $small --policy fifo --runs 1 --json ;;
    1) "$bin" real $small --policy eft --json ;;
    2) "$bin" real $small --set workload.granularity=layer --policy cpop --json ;;
    *) if [ -n "$unit" ]; then json=0; "$unit"; else "$bin" real $small --policy fifo --json; fi ;;
    esac >"$out.out" 2>"$out.err"
    rc=$?
    [ $rc -eq 0 ] && [ $json = 1 ] && ! grep -q '^{' "$out.out" && rc=255   # exit 0 without its report
    echo $rc >"$out.rc"
}

failed=0
r=1
while [ $r -le "$rounds" ]; do
    i=1
    while [ $i -le "$instances" ]; do
        one $r $i &
        i=$((i + 1))
    done
    wait
    bad=0
    for f in "$tmp/$r".*.rc; do
        rc=$(cat "$f")
        [ "$rc" -eq 0 ] && continue
        bad=$((bad + 1))
        echo "round $r, instance $(basename "$f" .rc | cut -d. -f2): exit $rc"
        tail -3 "${f%.rc}.err" "${f%.rc}.out"
    done
    echo "round $r: $instances processes, $bad failed"
    failed=$((failed + bad))
    r=$((r + 1))
done
echo "total: $((instances * rounds)) processes ($instances at once x $rounds rounds), $failed failed"
[ $failed -eq 0 ]
