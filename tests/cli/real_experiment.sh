# hetsoc run with `backend: real`: each run executes on this machine's OpenCL
# devices (one at a time, whatever -j), its rows land in the same tables with
# backend "real"; a run the machine cannot back records its error and the
# sweep goes on.
. "$(dirname "$0")/real_lib.sh"

cat >"$tmp/real.yaml" <<'YAML'
name: on-device
backend: real
hw: pocl-cpu-2pu
workload: tiny-agentic-rag
policy: [fifo, eft]
seeds: [1]
set: {workload.requests: 3}
YAML
expect_status 0 "$HETSOC" run "$tmp/real.yaml" -o "$tmp/real.h5" -j 2
expect_out '^experiment on-device: 2 runs, all ok'
expect_status 0 "$HETSOC" summary "$tmp/real.h5" --csv runs
[ "$(printf '%s\n' "$out" | grep -cE '^[01],[0-9a-f]{16},(fifo|eft),(fifo|eft),pocl-cpu-2pu,tiny-agentic-rag,1,real,ok,,[^,]*,3,')" = 2 ] \
    || fail "two ok runs of backend real with 3 requests each: $out"
expect_status 0 "$HETSOC" summary "$tmp/real.h5" --csv requests
[ "$(printf '%s\n' "$out" | sed 1d | wc -l)" = 6 ] || fail "expected 2 x 3 request rows"
expect_status 0 "$HETSOC" summary "$tmp/real.h5" --csv pus
expect_out '^1,npu,'

# A profile this machine cannot back: every run records the error, the sweep
# still writes its file.
nine_gpus "$tmp/gpus.yaml"
sed -e "s|hw: pocl-cpu-2pu|hw: $tmp/gpus.yaml|" "$tmp/real.yaml" >"$tmp/bad.yaml"
expect_status 1 "$HETSOC" run "$tmp/bad.yaml" -o "$tmp/bad.h5"
expect_err "2 of 2 runs failed"
expect_err "profile .nine-gpus. has 9 GPU PUs but this machine has"
expect_status 0 "$HETSOC" summary "$tmp/bad.h5" --csv runs
[ "$(printf '%s\n' "$out" | grep -c ',real,error,')" = 2 ] || fail "both runs record status error: $out"
finish
