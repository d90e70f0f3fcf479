# Shared by the real backend's command-line tests: skips (exit 77) when this
# machine has no OpenCL device.
. "$(dirname "$0")/lib.sh"
small="--hw pocl-cpu-2pu --workload tiny-agentic-rag --set workload.requests=3"
"$HETSOC" real $small --policy fifo --json >"$tmp/probe" 2>"$tmp/probe.err"
if grep -q "no OpenCL" "$tmp/probe.err"; then
    echo "skipped: $(cat "$tmp/probe.err")"
    exit 77
fi
