# Shared by the real backend's command-line tests: skips (exit 77) when this
# machine has no OpenCL device.
. "$(dirname "$0")/lib.sh"
small="--hw pocl-cpu-2pu --workload tiny-agentic-rag --set workload.requests=3"
"$HETSOC" real $small --policy fifo --json >"$tmp/probe" 2>"$tmp/probe.err"
if grep -q "no OpenCL" "$tmp/probe.err"; then
    echo "skipped: $(cat "$tmp/probe.err")"
    exit 77
fi

# nine_gpus FILE: a profile with more GPU PUs than any machine here.
nine_gpus() {
    cat >"$1" <<'YAML'
name: nine-gpus
description: more GPUs than any machine here
memory: {bandwidth_gbps: 100}
pus: [{name: g1, kind: gpu, peak_tflops: {fp32: 1}}, {name: g2, kind: gpu, peak_tflops: {fp32: 1}},
      {name: g3, kind: gpu, peak_tflops: {fp32: 1}}, {name: g4, kind: gpu, peak_tflops: {fp32: 1}},
      {name: g5, kind: gpu, peak_tflops: {fp32: 1}}, {name: g6, kind: gpu, peak_tflops: {fp32: 1}},
      {name: g7, kind: gpu, peak_tflops: {fp32: 1}}, {name: g8, kind: gpu, peak_tflops: {fp32: 1}},
      {name: g9, kind: gpu, peak_tflops: {fp32: 1}}]
YAML
}
