# The on-device validation workloads: each runs through hetsoc validate with
# every kernel paired (a few requests here; 100 by default).
. "$(dirname "$0")/real_lib.sh"

for wl in tiny-agent-mix tiny-rag-serving; do
    expect_status 0 $HETSOC workload show "$wl" --hw pocl-cpu-2pu
    expect_status 0 $HETSOC sim --hw pocl-cpu-2pu --workload "$wl" --policy eft --json
    expect_out '"requests": 100'
    expect_status 0 $HETSOC validate --hw pocl-cpu-2pu --workload "$wl" --set workload.requests=6 \
        --policy eft --runs 1 --json
    expect_out '"requests": 6'
    expect_out '"unpaired_kernels": 0'
done
# The RAG serving workload searches an IVF index beside generation.
expect_status 0 $HETSOC validate --hw pocl-cpu-2pu --workload tiny-rag-serving --set workload.requests=6 \
    --policy eft --runs 1
expect_out 'scan on cpu'
finish
