# hetsoc hw check: the model against HeteroInfer Table 3 and the contention figures.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" hw check
expect_out '^table3 +snapdragon-8gen3 +gpu gemm \[4096,4096\] x 1 tokens +511 '
expect_out '^contention +core-ultra-125h +gpu gemv'
expect_out '^bandwidth +snapdragon-8gen3 +decode DRAM bandwidth, gpu\+npu +59\.5'
expect_out '([0-9]+) of \1 asserted checks pass'
if printf '%s' "$out" | grep -v 'not asserted' | grep -q 'FAIL'; then fail "an asserted row fails: $out"; fi

expect_status 0 "$HETSOC" hw check --json
expect_out '^\{"failed": 0, "rows": \['
expect_out '"published": 693'
expect_status 2 "$HETSOC" hw check extra
finish
