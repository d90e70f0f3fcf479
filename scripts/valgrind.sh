#!/bin/sh
# Runs a representative invocation of every subcommand (experiments/cli/
# commands.c: run, --resume, --shard, summary, merge, sim, real, profile,
# validate, hw, partition, workload, list, bench, help) under valgrind
# memcheck, one line each, and fails when memcheck reports an error or a
# definite leak.  Not in ctest or CI: it takes tens of minutes (memcheck
# runs the simulator ~30x slower, PoCL's kernels far more); run it at low
# priority:  nice -n 19 scripts/valgrind.sh build/hetsoc [NAME...]
# (NAMEs pick some of the cases below).
# real, profile, validate and bench overhead need an OpenCL device (PoCL's
# CPU device will do) and are skipped without one.  OpenCL/PoCL, LLVM, HDF5
# and Open MPI keep memory until exit on purpose: "still reachable" and
# "possibly lost" blocks are not counted.  scripts/valgrind-pocl.supp holds
# the suppressions for PoCL's and LLVM's own code (each entry says why);
# nothing of ours is suppressed.
set -u
bin=$(realpath "${1:?usage: scripts/valgrind.sh HETSOC_BINARY [NAME...]}")
shift
cd "$(dirname "$0")/.."
supp=$PWD/scripts/valgrind-pocl.supp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# wanted NAME: no NAME was given, or NAME is one of them.
wanted() {
    [ -z "$picks" ] && return 0
    case " $picks " in *" $1 "*) return 0 ;; esac
    return 1
}
picks="$*"

# vg NAME CMD...: CMD under memcheck, expected to exit $want (default 0);
# its report in $tmp/NAME.vg.
want=0
origins=--track-origins=yes
vg() {
    name=$1; shift
    wanted "$name" || return 0
    t0=$(date +%s)
    valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite $origins --suppressions="$supp" --log-file="$tmp/$name.vg" \
        "$@" >"$tmp/$name.out" 2>&1
    rc=$?
    if grep -q "ERROR SUMMARY: [1-9]" "$tmp/$name.vg"; then
        echo "MEMCHECK $name"
        sed -n '/ERROR SUMMARY/p; /Invalid\|uninitialised\|definitely lost\|Mismatched\|overlap/,+14p' \
            "$tmp/$name.vg" | head -80
        failed=1
    elif [ $rc -ne "$want" ]; then
        echo "EXIT $rc   $name (memcheck clean; expected $want)"; tail -3 "$tmp/$name.out"
        failed=1
    else
        echo "ok       $name ($(($(date +%s) - t0)) s)"
    fi
}

cat >"$tmp/exp.yaml" <<'YAML'
name: vg
hw: generic-soc
workload: tiny-agentic-rag
policy: [fifo, eft]
seeds: [1]
set: {workload.requests: 4}
YAML
# The simulator and the experiment runner.
vg sim "$bin" sim --hw generic-soc --workload tiny-agentic-rag --policy hero --set workload.requests=4 --json
vg run "$bin" run "$tmp/exp.yaml" -o "$tmp/all.h5" -j 1 -q
vg run_jobs "$bin" run "$tmp/exp.yaml" -o "$tmp/j2.h5" -j 2 -q
vg run_shard "$bin" run "$tmp/exp.yaml" -o "$tmp/s1.h5" -j 1 -q --shard 0/2
"$bin" run "$tmp/exp.yaml" -o "$tmp/s2.h5" -j 1 -q --shard 1/2 >/dev/null 2>&1
# --resume over a journal of finished runs (the one a killed sweep leaves
# is made here by stopping the sweep with SIGKILL once its journal grew).
if wanted resume; then
    cp "$tmp/exp.yaml" "$tmp/long.yaml"
    sed -i 's/requests: 4}/requests: 400}/' "$tmp/long.yaml"
    "$bin" run "$tmp/long.yaml" -o "$tmp/r.h5" -j 1 -q >/dev/null 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 600 ] && [ "$(stat -c %s "$tmp/r.h5.journal" 2>/dev/null || echo 0)" -lt 64 ]; do
        sleep 0.05; i=$((i + 1))
    done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
fi
vg resume "$bin" run "$tmp/long.yaml" -o "$tmp/r.h5" -j 1 -q --resume
vg summary "$bin" summary "$tmp/all.h5" --csv requests
vg summary_text "$bin" summary "$tmp/all.h5"
vg merge "$bin" merge "$tmp/m.h5" "$tmp/s1.h5" "$tmp/s2.h5"
# A damaged (here: cut in half) results file is refused, not read wild.
head -c $(($(stat -c %s "$tmp/all.h5" 2>/dev/null || echo 0) / 2)) "$tmp/all.h5" >"$tmp/bad.h5" 2>/dev/null
want=1; vg summary_corrupt "$bin" summary "$tmp/bad.h5" --csv requests; want=0
# Profiles, workloads, the partition solver, the listings, benchmarks.
vg hw_show "$bin" hw show snapdragon-8gen3
vg hw_predict "$bin" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm --shape 128,4096,4096 \
    --corun npu:gemm:128,4096,4096
vg hw_check "$bin" hw check
vg hw_engines "$bin" hw engines mlc
vg partition "$bin" partition --hw snapdragon-8gen3 --weight 4096,4096 --tokens 256
vg workload_show "$bin" workload show hero-docqa-qwen3 --hw generic-soc
vg workload_check "$bin" workload check
vg list "$bin" list policies
vg list_hw "$bin" list hw
vg bench_phold "$bin" bench phold --lps 100 --events 20000
vg bench_sim "$bin" bench sim --duration 1
vg help "$bin" help run
# The OpenCL backend, at the smallest sizes (PoCL's threads run serialised):
# one request, and without origin tracking, which doubles memcheck's time
# (an uninitialised read is still reported, only not traced to its origin).
small="--hw pocl-cpu-2pu --workload tiny-agentic-rag --set workload.requests=1"
origins=""
if "$bin" real $small --policy fifo >/dev/null 2>&1; then
    vg real "$bin" real $small --policy eft --json
    vg validate "$bin" validate $small --policy fifo --runs 1
    vg bench_overhead "$bin" bench overhead $small --policy fifo
    vg profile "$bin" profile --quick --quiet --reps 1 -o "$tmp/prof.yaml"
else
    echo "skipped  real validate bench_overhead profile: no OpenCL device"
fi
exit $failed
