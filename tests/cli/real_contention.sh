# hetsoc validate --contention: a memory-bound kernel alone and co-running
# on two PUs of one memory, measured slowdown against the model's.
. "$(dirname "$0")/real_lib.sh"

expect_status 0 $HETSOC validate --contention --hw pocl-cpu-2pu --json
for key in pu other memory mean_abs_error sizes bytes alone_s corun_s measured_slowdown model_slowdown error; do
    expect_out "\"$key\": "
done
expect_out '"pu": "cpu", "other": "npu", "memory": "dram"'
expect_status 0 $HETSOC validate --contention --hw pocl-cpu-2pu
expect_out 'contention: a streaming read on cpu while npu streams the same'
expect_out 'slowdown error'
# One PU: nothing to co-run with.
cat >"$tmp/one.yaml" <<'YAML'
name: one-pu
description: one CPU PU
memory: {bandwidth_gbps: 10}
pus: [{name: cpu, kind: cpu, peak_tflops: {fp32: 0.1}}]
YAML
expect_status 1 $HETSOC validate --contention --hw "$tmp/one.yaml"
expect_err 'no two PUs sharing a memory'
expect_status 2 $HETSOC validate --contention
expect_status 2 $HETSOC validate --contention --hw pocl-cpu-2pu --policy eft
finish
