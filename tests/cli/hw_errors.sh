# Malformed profiles: PATH:LINE:COL errors, exit 1, nothing on stdout.
. "$(dirname "$0")/lib.sh"

d="$tmp/profiles"
mkdir -p "$d"
cat >"$d/typo.yaml" <<'YAML'
name: typo
description: a misspelt key
memory: {bandwidth_gbps: 50}
pus:
  - name: gpu
    kind: gpu
    bandwdith_gbps: 40
YAML
cat >"$d/negative.yaml" <<'YAML'
name: negative
description: a negative bandwidth
memory:
  bandwidth_gbps: -68
pus: [{name: cpu, kind: cpu}]
YAML
cat >"$d/string.yaml" <<'YAML'
name: string
description: a string for a number
memory:
  bandwidth_gbps: 68
pus:
  - {name: gpu, kind: gpu, launch_us: soon}
YAML
cat >"$d/nopus.yaml" <<'YAML'
name: nopus
description: no processing units
memory: {bandwidth_gbps: 68}
YAML
cat >"$d/queued.yaml" <<'YAML'
name: queued
description: a queued launch dearer than a standalone one
memory: {bandwidth_gbps: 68}
pus:
  - {name: gpu, kind: gpu, peak_tflops: {fp16: 2}, launch_us: 20, queue_launch_us: 30}
YAML
cat >"$d/sizelaw.yaml" <<'YAML'
name: sizelaw
description: a size law without its half-performance size
memory: {bandwidth_gbps: 68}
pus:
  - name: npu
    kind: npu
    peak_tflops: {fp16: 17}
    size_efficiency: {max: 0.5}
YAML
cat >"$d/syntax.yaml" <<'YAML'
name: syntax
description: [unclosed
YAML

expect_status 1 "$HETSOC" hw show "$d/typo.yaml"
expect_err "^$d/typo.yaml:7:5: error: unknown key 'bandwdith_gbps' \(did you mean 'bandwidth_gbps'\?\)"
[ -z "$out" ] || fail "stdout not empty: $out"
expect_status 1 "$HETSOC" hw show "$d/negative.yaml"
expect_err "^$d/negative.yaml:4:19: error: .*bandwidth_gbps.* must be > 0"
expect_status 1 "$HETSOC" hw show "$d/string.yaml"
expect_err "^$d/string.yaml:6:39: error: .*must be a number, found 'soon'"
expect_status 1 "$HETSOC" hw show "$d/nopus.yaml"
expect_err "^$d/nopus.yaml:1:1: error: missing key 'pus'"
expect_status 1 "$HETSOC" hw show "$d/queued.yaml"
expect_err "^$d/queued.yaml:5:.*: error: queue_launch_us \(30\) cannot exceed launch_us \(20\)"
expect_status 1 "$HETSOC" hw show "$d/sizelaw.yaml"
expect_err "^$d/sizelaw.yaml:8:.*: error: missing key 'half'"
expect_status 1 "$HETSOC" hw show "$d/syntax.yaml"
expect_err "^$d/syntax.yaml:[0-9]+:[0-9]+: error:"
expect_status 1 "$HETSOC" hw show "$d/absent.yaml"
expect_err "absent.yaml"
# The same errors through predict.
expect_status 1 "$HETSOC" hw predict --hw "$d/typo.yaml" --pu gpu --op gemm --shape 1,64,64
expect_err "^$d/typo.yaml:7:5: error:"
finish
