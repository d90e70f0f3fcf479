# Built-in policies end to end: `random` places an item by its identity, so
# another timing (here half the DRAM bandwidth) changes no placement; the
# list schedulers finish every request of a workflow whose join waits on
# sub-queries revealed later (a tool call fed by a streaming edge).
. "$(dirname "$0")/lib.sh"

cat >"$tmp/e.yaml" <<'YAML'
name: random-placement
hw: core-ultra-125h
workload: agentxpu-mixed
policy: random
set: {workload.duration: 30}
sweep: {hw.memory.achievable_gbps: [60, 30]}
kernels: true
YAML
expect_status 0 "$HETSOC" run "$tmp/e.yaml" -o "$tmp/e.h5" -q
expect_status 0 "$HETSOC" summary "$tmp/e.h5" --csv kernels
printf '%s\n' "$out" >"$tmp/k.csv"
# Per run: each request's kernels in start order (one stage, items in
# sequence), as "request pu" lines.
for r in 0 1; do
    awk -F, -v r=$r '$1 == r { print $3, $8, $6 }' "$tmp/k.csv" | sort -k1,1n -k2,2g |
        awk '{ print $1, $3 }' >"$tmp/p$r"
done
[ "$(wc -l <"$tmp/p0")" -gt 1000 ] || fail "too few kernels to compare"
[ "$(cut -d' ' -f1 "$tmp/p0" | sort -u | wc -l)" -gt 3 ] || fail "too few requests to compare"
awk -F, '$1 == 0 && $8 != $7' "$tmp/k.csv" | grep -q . || fail "no kernel waited: timing cannot differ"
cmp -s "$tmp/p0" "$tmp/p1" || fail "random placed some item differently under another timing"
[ "$(cut -d' ' -f2 "$tmp/p0" | sort -u | wc -l)" = 3 ] || fail "random did not use all three PUs"
# ...while the start times did change.
[ "$(awk -F, '$1 == 0 { print $8 }' "$tmp/k.csv" | md5sum)" != \
  "$(awk -F, '$1 == 1 { print $8 }' "$tmp/k.csv" | md5sum)" ] || fail "the timing did not change"

for p in heft cpop peft; do
    expect_status 0 "$HETSOC" sim --hw pocl-cpu-2pu --workload tiny-agentic-rag --policy $p --json
    expect_out '"requests": 12,'
    expect_status 0 "$HETSOC" sim --hw snapdragon-8gen3 --workload tiny-agentic-rag --policy $p --json
    expect_out '"requests": 12,'
done
finish
