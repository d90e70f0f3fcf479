# hetsoc hw predict: one kernel alone and beside co-running kernels.
. "$(dirname "$0")/lib.sh"

# The first value of a top-level JSON key (keys are unique prefixes by quote).
jget() { printf '%s' "$out" | awk -v k="\"$1\": " '{ i = index($0, k); if (i) { s = substr($0, i + length(k)); sub(/[,}].*/, "", s); print s } }'; }
# near A B TOL: |A/B - 1| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { e = a / b - 1; if (e < 0) e = -e; exit !(e <= t) }'; }
check_near() { near "$1" "$2" "$3" || fail "$4: got $1, expected $2"; }

# Textbook SoC: GPU 10 TFLOPS, 60 GB/s cap, 10 us launch; DRAM 100 GB/s.
expect_status 0 "$HETSOC" hw predict --hw generic-soc --pu gpu --op gemm --shape 1,4096,4096 --json
for key in latency_s alone_latency_s slowdown bandwidth_gbps; do
    [ -n "$(jget $key)" ] || fail "JSON lacks $key: $out"
done
# Memory-bound GEMV: bytes / 60 GB/s + 10 us.
check_near "$(jget latency_s)" 0.00056951360 1e-6 "GEMV latency"
check_near "$(jget bandwidth_gbps)" 60 1e-9 "GEMV bandwidth"
check_near "$(jget slowdown)" 1 1e-12 "GEMV alone slowdown"

# Compute-bound GEMM: 2*4096^3 / 10 TFLOPS + 10 us.
expect_status 0 "$HETSOC" hw predict --hw generic-soc --pu gpu --op gemm --shape 4096,4096,4096 --json
check_near "$(jget latency_s)" 0.0137538953 1e-6 "GEMM latency"

# Beside a CPU GEMV both share 100 GB/s: 50 GB/s each.
expect_status 0 "$HETSOC" hw predict --hw generic-soc --pu gpu --op gemv --shape 1,4096,4096 \
    --corun cpu:gemm:1,4096,4096 --json
check_near "$(jget bandwidth_gbps)" 50 1e-9 "co-run bandwidth"
check_near "$(jget latency_s)" 0.00068141632 1e-6 "co-run latency"
check_near "$(jget alone_latency_s)" 0.00056951360 1e-6 "alone latency"
check_near "$(jget slowdown)" 1.19648 1e-4 "co-run slowdown"

# NPU shape rules on the calibrated phone: m=200 pads to the 256 graph.
expect_status 0 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu npu --op gemm --shape 200,4096,4096 --json
expect_out '"padded_shape": \[256, 4096, 4096\]'
a=$(jget latency_s)
expect_status 0 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu npu --op gemm --shape 256,4096,4096 --json
check_near "$a" "$(jget latency_s)" 1e-12 "padding to 256"
# Beyond the largest graph a build is charged (2050 ms at 1000 tokens... for 1025+).
expect_status 0 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu npu --op gemm --shape 2000,4096,4096
expect_out 'graph build'

# Text output names the PU and the regime.
expect_status 0 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm --shape 1,4096,4096 \
    --weight-dtype int8 --corun npu:gemm:1,4096,4096:fp16:int8
expect_out 'memory-bound'
expect_out 'co-running'

# Cannot run: exit 1 with the reason.
expect_status 1 "$HETSOC" hw predict --hw core-ultra-125h --pu npu --op attention --shape 1,2048,128
expect_err 'cannot run attention'
# Misuse: exit 2.
expect_status 2 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpuu --op gemm --shape 1,2,3
expect_err "did you mean 'gpu'"
expect_status 2 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpu --op gemmm --shape 1,2,3
expect_status 2 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm --shape 1,x,3
expect_status 2 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm
expect_status 2 "$HETSOC" hw predict --hw snapdragon-8gen3 --pu gpu --op gemm --shape 1,2,3 --corun gpu:gemm
expect_status 2 "$HETSOC" hw predict --pu gpu --op gemm --shape 1,2,3
expect_status 2 "$HETSOC" hw predict --hw generic-soc --pu gpu --op gemm --shape 1,4096
expect_err 'needs m, n, k >= 1'
expect_status 2 "$HETSOC" hw predict --hw generic-soc --pu gpu --op generic
expect_status 0 "$HETSOC" hw predict --hw generic-soc --pu gpu --op generic --flops 1e12 --bytes 6e9 --json
check_near "$(jget latency_s)" 0.10001 1e-9 "generic kernel"
finish
