# hetsoc hw check: the model against HeteroInfer Table 3 and the contention figures.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" hw check
expect_out '^table3 +snapdragon-8gen3 +gpu gemm \[4096,4096\] x 1 tokens +fit +511 '
expect_out '^contention +core-ultra-125h +gpu gemv'
expect_out '^bandwidth +snapdragon-8gen3 +decode DRAM bandwidth, gpu\+npu +held-out +59\.5'
expect_out '([0-9]+) of \1 fit checks pass'
# Held-out rows are summarised apart; a failing one is reported with its reason.
expect_out '^held-out rows \(predictions\): [0-9]+, [0-9]+ pass; median \|error\| [0-9.]+%, worst '
expect_out '^  held-out FAIL: gpu gemm \[28672,4096\] x 1 tokens: fails \(\+49%\)'
if printf '%s' "$out" | grep -E '^[a-z0-9]+ ' | grep ' fit ' | grep -q 'FAIL'; then fail "a fit row fails: $out"; fi

expect_status 0 "$HETSOC" hw check --json
expect_out '^\{"failed": 0, "rows": \['
expect_out '"published": 693'
expect_out '"figure": "heteroinfer-t3-npu-4096x4096-m1", "tag": "fit"'
expect_status 2 "$HETSOC" hw check extra
finish
