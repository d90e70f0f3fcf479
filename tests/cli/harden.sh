# Bad input is refused at its position with a non-zero exit, never a hang,
# a crash or a silent clamp: token counts, model context, workflow cycles,
# traces, static map keys, profiles without memory, a byte-order mark,
# --set misuse and values that break a constraint; plugins that livelock,
# fail their init or export a function; sweeps rerun over a journal.
. "$(dirname "$0")/lib.sh"
src=$HS_SOURCE
build=$(dirname "$HETSOC")

# llm_wl FILE PROMPT OUTPUT: two LLM calls on tiny-llm.
llm_wl() {
    cat >"$1" <<YAML
name: tok
kind: llm
granularity: stage
model: tiny-llm
tokens: {prompt: $2, output: $3}
arrival: {process: deterministic, rate: 1}
requests: 2
YAML
}
sim_wl() { expect_status "$1" timeout 60 "$HETSOC" sim --hw generic-soc --workload "$2" --policy fifo; }

# Token counts: a huge count is an error against max_context, not a hang.
llm_wl "$tmp/big.yaml" 16 1000000000000
sim_wl 1 "$tmp/big.yaml"
expect_err "error: .*exceed model 'tiny-llm''s max_context \(2048\)"
llm_wl "$tmp/zero.yaml" 16 0
sim_wl 1 "$tmp/zero.yaml"
expect_err "^[^ ]*:[0-9]+:[0-9]+: error: output token count 0 is under 1"
llm_wl "$tmp/div.yaml" '"$context + 16 / 0"' 4
sim_wl 1 "$tmp/div.yaml"
expect_err "^[^ ]*:[0-9]+:[0-9]+: error: prompt token count 0 is under 1"   # x / 0 gives 0 (workloads/README.md)
llm_wl "$tmp/ok.yaml" 16 4
sim_wl 0 "$tmp/ok.yaml"

# A workflow cycle is reported at the edge that closes it.
cat >"$tmp/cyc.yaml" <<'YAML'
name: cyc
kind: workflow
classes:
  - name: q
    arrival: {process: deterministic, rate: 1}
    requests: 1
    workflow:
      name: mini
      stages:
        - {name: a, kind: tool, latency: 0.1}
        - {name: b, kind: tool, latency: 0.1}
      edges:
        - {from: a, to: b}
        - {from: b, to: a}
YAML
sim_wl 1 "$tmp/cyc.yaml"
expect_err "^$tmp/cyc.yaml:1[34]:[0-9]+: error: workflow 'mini': edge . -> . closes a cycle"

# Traces: a missing file at its key, an empty one refused.
trace_wl() {
    cat >"$1" <<YAML
name: tr
kind: llm
model: tiny-llm
arrival: {process: trace, path: $2, format: azure-csv}
YAML
}
trace_wl "$tmp/tr_missing.yaml" nosuch.csv
expect_status 1 "$HETSOC" sim --hw generic-soc --workload "$tmp/tr_missing.yaml" --policy fifo
expect_err "^$tmp/tr_missing.yaml:4:[0-9]+: error: cannot open trace"
: >"$tmp/empty.csv"
trace_wl "$tmp/tr_empty.yaml" empty.csv
expect_status 1 "$HETSOC" sim --hw generic-soc --workload "$tmp/tr_empty.yaml" --policy fifo
expect_err "^$tmp/tr_empty.yaml:4:[0-9]+: error: "
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n' >"$tmp/header.csv"
trace_wl "$tmp/tr_header.yaml" header.csv
expect_status 1 "$HETSOC" sim --hw generic-soc --workload "$tmp/tr_header.yaml" --policy fifo
expect_err "^$tmp/tr_header.yaml:4:[0-9]+: error: trace .* has no records"

# The static policy names a map key that matches nothing.
cat >"$tmp/static.yaml" <<'YAML'
name: st
hw: generic-soc
workload: hero-docqa-qwen3
policy:
  - name: static
    params: {map: {prefil.o: npu, decode: gpu}}
YAML
expect_status 1 "$HETSOC" run "$tmp/static.yaml" -o "$tmp/static.h5" -q
expect_status 1 "$HETSOC" sim --hw generic-soc --workload hero-docqa-qwen3 --policy static \
    --set 'policy.map={prefill.qvk: npu}'
expect_err "map key 'prefill.qvk' names no stage.*did you mean 'prefill.qkv'"

# A generic profile needs no memory; a byte-order mark is accepted.
printf 'name: g\npus: [{name: P1, kind: generic, speed: 1.0}]\n' >"$tmp/g.yaml"
expect_status 0 "$HETSOC" sim --hw "$tmp/g.yaml" --workload synthetic-mm1 --policy fifo --set workload.requests=50 --set workload.warmup=5
printf '\357\273\277name: g\npus: [{name: P1, kind: generic, speed: 1.0}]\n' >"$tmp/bom.yaml"
expect_status 0 "$HETSOC" sim --hw "$tmp/bom.yaml" --workload synthetic-mm1 --policy fifo --set workload.requests=50 --set workload.warmup=5
printf 'name: g\npus: [{name: P1, kind: cpu, peak_tflops: 1}]\n' >"$tmp/nomem.yaml"
expect_status 1 "$HETSOC" sim --hw "$tmp/nomem.yaml" --workload synthetic-mm1 --policy fifo
expect_err "missing key 'memory'"

# --set misuse exits 2; a --set value that breaks a constraint names it.
expect_status 2 "$HETSOC" sim --hw generic-1pu --workload synthetic-mm1 --policy fifo --set workload.requests
expect_err "--set expects KEY=VALUE"
expect_status 1 "$HETSOC" sim --hw snapdragon-8gen3 --workload agentxpu-mixed --policy fifo \
    --set hw.memory.bandwidth_gbps=40
expect_err "^<command line>: error: with --set hw.memory.bandwidth_gbps=40: achievable_gbps .* \(in .*snapdragon-8gen3.yaml:[0-9]+:[0-9]+\)$"
cat >"$tmp/bw.yaml" <<'YAML'
name: bw
hw: snapdragon-8gen3
workload: agentxpu-mixed
policy: fifo
sweep:
  hw.memory.bandwidth_gbps: [80, 40]
YAML
expect_status 1 "$HETSOC" run "$tmp/bw.yaml" -o "$tmp/bw.h5" -q
expect_err "^$tmp/bw.yaml:6:[0-9]+: error: run 1 \(hw.memory.bandwidth_gbps=40\): achievable_gbps"

# Plugins: a livelock is stopped by the watchdog, a silent init failure and
# a function symbol are named.
inc="-I$src -I$build/generated"
for p in livelock init_fails func_symbol; do
    cc -shared -fPIC $inc "$src/tests/cli/plugins/$p.c" -o "$tmp/$p.so" || fail "build $p"
done
expect_status 1 timeout 60 "$HETSOC" sim --hw generic-soc --workload tiny-agentic-rag --policy "$tmp/livelock.so" \
    --set engine.watchdog_idle_events=200000
expect_err "watchdog: [0-9]+ events without the clock advancing"
cat >"$tmp/ll.yaml" <<YAML
name: ll
hw: generic-soc
workload: tiny-agentic-rag
policy: [fifo, $tmp/livelock.so]
engine: {watchdog_idle_events: 200000}
YAML
expect_status 1 timeout 120 "$HETSOC" run "$tmp/ll.yaml" -o "$tmp/ll.h5" -q -j 1
expect_status 0 "$HETSOC" summary "$tmp/ll.h5" --csv runs
expect_out "error,[^,]*watchdog"
expect_out ",ok,"
expect_status 1 "$HETSOC" sim --hw generic-soc --workload tiny-agentic-rag --policy "$tmp/init_fails.so"
expect_err "policy 'init-fails': its init returned -1 without an error message"
expect_status 1 "$HETSOC" sim --hw generic-soc --workload tiny-agentic-rag --policy "$tmp/func_symbol.so"
expect_err "is a function, not"
finish
