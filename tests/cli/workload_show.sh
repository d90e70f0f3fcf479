# hetsoc workload show: one sampled request's DAG, costed on a profile;
# deterministic for a seed; errors are positioned.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" workload show hero-docqa-qwen3 --hw snapdragon-8gen3 --seed 2
expect_out '^workload hero-docqa-qwen3'
expect_out 'rewrite +llm +qwen3-1.7b +int8'
expect_out 'rerank'
expect_out 'generate +llm +qwen3-4b'
expect_out ' npu$'
first=$out
expect_status 0 "$HETSOC" workload show hero-docqa-qwen3 --hw snapdragon-8gen3 --seed 2
[ "$out" = "$first" ] || fail "same seed, different output"
expect_status 0 "$HETSOC" workload show hero-researcher-llama --seed 5
expect_out 'llama-3.1-8b'
a=$out
expect_status 0 "$HETSOC" workload show hero-researcher-llama --seed 6
[ "$out" != "$a" ] || fail "seeds 5 and 6 drew the same request"

# The HEFT paper's DAG on three generic PUs: its cost table, in ms.
expect_status 0 "$HETSOC" workload show heft-topcuoglu --hw generic-3pu
expect_out 'n10 +task'
expect_out '21000\.000 +7000\.000 +16000\.000'

expect_status 0 "$HETSOC" workload show agentxpu-mixed --class proactive
expect_out 'class proactive'
expect_status 1 "$HETSOC" workload show agentxpu-mixed --class nosuch
expect_err "no class 'nosuch'"

expect_status 1 "$HETSOC" workload show hero-docqq
expect_err "unknown workload 'hero-docqq'"
expect_err "hero-docqa"
cat >"$tmp/bad.yaml" <<'YAML'
requests: 3
classes:
  - name: c
    arrival: {process: poisson, rate: 1}
    workflow: hero-finder
    params: {top_kk: 3}
YAML
expect_status 1 "$HETSOC" workload show "$tmp/bad.yaml"
expect_err "bad.yaml:6:[0-9]+: error: .*did you mean 'top_k'"
expect_status 2 "$HETSOC" workload show
expect_status 2 "$HETSOC" workload show hero-finder-qwen3 --seed -1
expect_status 2 "$HETSOC" workload frob
expect_status 0 "$HETSOC" help workload
expect_out 'workload show WL'
finish
