# hetsoc real: the flags and JSON of hetsoc sim, on the OpenCL backend.
. "$(dirname "$0")/real_lib.sh"

expect_status 0 $HETSOC real $small --policy eft --json
for key in requests mean_latency_s p50_latency_s p90_latency_s p99_latency_s makespan_s \
           throughput_rps energy_j events wall_s classes pus busy_s utilization; do
    expect_out "\"$key\": "
done
expect_out '"requests": 3'
expect_status 0 $HETSOC real $small --policy static --seed 4
expect_out '^real: policy static on pocl-cpu-2pu, workload tiny-agentic-rag, seed 4'
expect_out 'scheduling overhead'
expect_out 'cpu +-> .*sub-device 1 of 2'
expect_out 'npu +-> .*sub-device 2 of 2'
expect_status 0 $HETSOC real $small --policy fifo --set policy.pu=cpu --timeline "$tmp/t.json"
grep -q '"ph":"X"' "$tmp/t.json" || fail "no slices in the timeline"
# Layer granularity: fused items run the ops they stand for.
expect_status 0 $HETSOC real $small --set workload.granularity=layer --policy eft --json
# The same flags as sim, the same misuse and input errors.
expect_status 2 $HETSOC real --hw pocl-cpu-2pu --policy fifo
expect_err 'usage: hetsoc real'
expect_status 1 $HETSOC real $small --policy nosuch
expect_err "nosuch"
# A profile this machine cannot back: a clear error, no crash.
nine_gpus "$tmp/gpus.yaml"
expect_status 1 $HETSOC real --hw "$tmp/gpus.yaml" --workload tiny-agentic-rag --policy fifo
expect_err 'error: profile .nine-gpus. has 9 GPU PUs but this machine has'
finish
