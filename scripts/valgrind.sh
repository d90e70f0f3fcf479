#!/bin/sh
# Runs a representative invocation of each subcommand (sim, run, summary,
# merge, hw, workload, list, validate --runs 1) under valgrind memcheck and
# fails when memcheck reports an error or a definite leak.  Not in CI: it
# takes minutes (memcheck runs the simulator ~30x slower); run it at low
# priority:  nice -n 19 scripts/valgrind.sh build/hetsoc
# validate needs an OpenCL device (PoCL's CPU device will do); it is skipped
# when `hetsoc real` cannot start one.  OpenCL/PoCL, HDF5 and Open MPI keep
# memory until exit on purpose: suppressed with --show-possibly-lost=no and
# without counting "still reachable" blocks.
set -u
bin=${1:?usage: scripts/valgrind.sh HETSOC_BINARY}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
vg() {
    name=$1; shift
    if valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --track-origins=yes --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>&1; then
        echo "ok      $name"
    elif grep -q "ERROR SUMMARY: [1-9]" "$tmp/$name.vg"; then
        echo "MEMCHECK $name"; sed -n '/ERROR SUMMARY/p; /Invalid\|uninitialised\|definitely lost/,+12p' "$tmp/$name.vg" | head -60
        failed=1
    else
        echo "exit!=0 $name (memcheck clean)"; tail -3 "$tmp/$name.out"
    fi
}
cat >"$tmp/exp.yaml" <<'YAML'
name: vg
hw: generic-soc
workload: tiny-agentic-rag
policy: [fifo, eft]
seeds: [1, 2]
YAML
vg sim "$bin" sim --hw generic-soc --workload tiny-agentic-rag --policy hero --json
vg run "$bin" run "$tmp/exp.yaml" -o "$tmp/all.h5" -j 1 -q
vg run_shard "$bin" run "$tmp/exp.yaml" -o "$tmp/s1.h5" -j 1 -q --shard 1/2
"$bin" run "$tmp/exp.yaml" -o "$tmp/s2.h5" -j 1 -q --shard 2/2 >/dev/null 2>&1
vg summary "$bin" summary "$tmp/all.h5" --csv requests
vg merge "$bin" merge "$tmp/m.h5" "$tmp/s1.h5" "$tmp/s2.h5"
vg hw_show "$bin" hw show snapdragon-8gen3
vg hw_predict "$bin" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm --shape 128,4096,4096
vg workload "$bin" workload show hero-docqa-qwen3 --hw generic-soc
vg list "$bin" list policies
if "$bin" real --hw pocl-cpu-2pu --workload tiny-agentic-rag --policy fifo >/dev/null 2>&1; then
    vg validate "$bin" validate --hw pocl-cpu-2pu --workload tiny-agentic-rag --policy fifo --runs 1
else
    echo "skipped validate: no OpenCL device"
fi
exit $failed
