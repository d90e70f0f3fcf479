# hetsoc workload check: predicted vs published rates (workloads/README.md),
# and the listers of built-in models, workflow templates and workloads.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$HETSOC" workload check
expect_out 'PowerServe NPU decode, Llama-3.2-1B'
expect_out 'HeteroInfer GPU\+NPU decode'
expect_out 'within 25%'
expect_out '^\| HeteroInfer GPU\+NPU prefill, Llama-8B.* \| held-out \| 247\.9 tok/s'
expect_out '^held-out rows \(predictions\): [0-9]+, [0-9]+ pass; median'
expect_out '^fit +rows \(fit-consistency'
expect_status 2 "$HETSOC" workload check extra

expect_status 0 "$HETSOC" list models
expect_out '^llama-3.2-1b +16 layers'
expect_out 'bge-reranker-large'
expect_status 0 "$HETSOC" list workflows
expect_out '^hero-docqa '
expect_out 'hedrarag-irg'
expect_status 0 "$HETSOC" list workloads
expect_out '^heft-topcuoglu '
expect_out 'synthetic-mm1'
finish
