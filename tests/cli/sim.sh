# hetsoc sim: the single-run JSON keys, the readable summary, the timeline,
# determinism, and every kind of bad input.
. "$(dirname "$0")/lib.sh"

run="$HETSOC sim --hw core-ultra-125h --workload agentxpu-mixed --set workload.duration=40"
expect_status 0 $run --policy eft --json
for key in requests mean_latency_s p50_latency_s p90_latency_s p99_latency_s makespan_s \
           throughput_rps energy_j events wall_s classes pus busy_s utilization; do
    expect_out "\"$key\": "
done
first=$(printf '%s' "$out" | sed 's/"wall_s": [^,]*,//')
expect_status 0 $run --policy eft --json
second=$(printf '%s' "$out" | sed 's/"wall_s": [^,]*,//')
[ "$first" = "$second" ] || fail "same seed, different results"
expect_status 0 $run --policy eft --json --seed 9
third=$(printf '%s' "$out" | sed 's/"wall_s": [^,]*,//')
[ "$first" != "$third" ] || fail "another seed gave identical results"

expect_status 0 $run --policy fifo
expect_out 'makespan'
expect_out 'PU +busy s'

# Timeline: Chrome trace events, a track per PU, slices, a DRAM counter.
expect_status 0 $run --policy eft --timeline "$tmp/t.json"
head -c 39 "$tmp/t.json" | grep -q '^{"displayTimeUnit":"ms","traceEvents":\[' || fail "timeline header"
grep -q '"name":"thread_name","args":{"name":"gpu"' "$tmp/t.json" || fail "no gpu track"
grep -q '"ph":"X"' "$tmp/t.json" || fail "no slices"
grep -q '"ph":"C","pid":1,"name":"DRAM' "$tmp/t.json" || fail "no bandwidth counter"
tail -n 1 "$tmp/t.json" | grep -q '^\]}$' || fail "timeline not closed"
ls "$tmp" | grep -q partial && fail "a partial timeline was left behind"

# Pinning work to one PU is a baseline; the policy's parameter is checked.
expect_status 0 $run --policy fifo --set policy.pu=gpu --json
expect_status 1 $run --policy fifo --set policy.pu=npu
expect_err "cannot run on the pinned PU npu"
expect_status 1 $run --policy fifo --set policy.pu=tpu
expect_err "tpu"
expect_status 1 $run --policy fifo --set policy.pux=gpu
expect_err "unknown parameter 'pux' of policy 'fifo' \(did you mean 'pu'\?\)"
expect_status 1 $run --policy fifi
expect_err "unknown policy 'fifi' \(did you mean 'fifo'\?\)"
expect_status 1 "$HETSOC" sim --hw snapdragon-8gn3 --workload heterollm-dialogue --policy fifo
expect_err "snapdragon-8gen3"
expect_status 1 $run --policy fifo --set workload.requests=-4
expect_err '^<--set workload.requests>:1:1: error: '
expect_status 1 $run --policy fifo --set engine.sync=sometimes
expect_err "sync"
expect_status 2 "$HETSOC" sim --hw snapdragon-8gen3 --policy fifo
expect_status 2 $run --policy fifo --seed -1
expect_status 2 $run --policy fifo extra

# A bad workload file: error at its position, and no timeline left behind.
printf 'kind: synthetic\nrequests: 10\narrival: {process: poisson, rat: 1}\nservice: {dist: exponential, mean: 1}\n' >"$tmp/bad.yaml"
expect_status 1 "$HETSOC" sim --hw generic-1pu --workload "$tmp/bad.yaml" --policy fifo --timeline "$tmp/bad.json"
expect_err "bad.yaml:3:"
[ -e "$tmp/bad.json" ] && fail "timeline written for a failed run"
finish
