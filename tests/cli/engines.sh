# Engine presets on the command line: `list engines`, `hw engines` (every
# stored efficiency is its fit), a policy's `engine` parameter from --set and
# from YAML (recorded in the JSON), and the errors at the value.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" list engines
expect_out "^profile +the profile's own calibration"
expect_out "covers: snapdragon-8gen3 npu-compute, npu-memory; snapdragon-8elite npu-compute, npu-memory"
expect_out "covers: server-epyc-h100 \(as the profile\)"
expect_status 0 "$HETSOC" hw engines
expect_out "^0 stored efficiencies differ"
expect_status 0 "$HETSOC" hw engines mlc
expect_out "^mlc +snapdragon-8gen3 +gpu +memory_efficiency +0.860"

# --set policy.engine: applied, recorded in the run's JSON.
run="sim --hw snapdragon-8gen3 --workload heterollm-gsm8k --set workload.requests=1 --policy heterollm --json"
# shellcheck disable=SC2086
expect_status 0 "$HETSOC" $run --set policy.engine=mlc
expect_out '"engine": "mlc", "engine_fit": "fitted"'
mlc=$(printf '%s' "$out" | sed 's/.*"makespan_s": \([^,]*\),.*/\1/')
# shellcheck disable=SC2086
expect_status 0 "$HETSOC" $run
expect_out '"engine": "profile", "engine_fit": "profile"'
base=$(printf '%s' "$out" | sed 's/.*"makespan_s": \([^,]*\),.*/\1/')
[ "$mlc" != "$base" ] || fail "engine mlc did not change the run ($mlc s)"
# shellcheck disable=SC2086
expect_status 0 "$HETSOC" $run --set policy.engine=openvino
expect_out '"engine": "openvino", "engine_fit": "no-figures"'
expect_out "\"makespan_s\": $base,"
# A policy without the parameter records none.
expect_status 0 "$HETSOC" sim --hw snapdragon-8gen3 --workload heterollm-gsm8k --set workload.requests=1 \
    --policy fifo --json
expect_out '"engine": "", "engine_fit": ""'

# From an experiment's params (recorded in /runs), and the unknown name at its value.
cat >"$tmp/exp.yaml" <<'YAML'
name: engines
description: heterollm with an engine preset
hw: snapdragon-8gen3
workload: heterollm-gsm8k
set: {workload.requests: 1}
policy:
  - {label: mnn, name: heterollm, params: {engine: mnn}}
YAML
expect_status 0 "$HETSOC" run "$tmp/exp.yaml" -o "$tmp/e.h5"
expect_status 0 "$HETSOC" summary "$tmp/e.h5" --csv runs
expect_out ",mnn,fitted"
sed 's/engine: mnn/engine: powerserv/' "$tmp/exp.yaml" >"$tmp/bad_exp.yaml"
expect_status 1 "$HETSOC" run "$tmp/bad_exp.yaml" -o "$tmp/b.h5"
expect_err "$tmp/bad_exp.yaml:7:52: error: unknown engine 'powerserv' \(did you mean 'powerserve'\?\); engines: profile, llama.cpp, llm.npu, mlc, mnn, openvino, powerinfer-2, powerserve, vllm"
# shellcheck disable=SC2086
expect_status 1 "$HETSOC" $run --set policy.engine=tensorrt
expect_err "error: unknown engine 'tensorrt'; engines: profile, llama.cpp,"

# A bad preset file: the error at its position.
cat >"$tmp/bad.yaml" <<'YAML'
name: bad
description: an efficiency out of range
figures:
  - profile: snapdragon-8gen3
    pu: gpu
    memory_efficiency: 0
    fit: {rate: 9, model: llama-3.1-8b, quant: w4a16, granularity: op, prompt: 256}
    source: nowhere
YAML
# shellcheck disable=SC2086
expect_status 1 "$HETSOC" $run --set policy.engine="$tmp/bad.yaml"
expect_err "^$tmp/bad.yaml:6:24: error: 'memory_efficiency' must be"
finish
