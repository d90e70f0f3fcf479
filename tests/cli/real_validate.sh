# hetsoc validate: simulator versus hardware, its JSON keys and its table,
# repetitions with the noise floor, the kernel breakdown, the default
# request count and the machine check.
. "$(dirname "$0")/real_lib.sh"

expect_status 0 $HETSOC validate $small --policy eft --json
for key in policy hw workload seed mape_request_latency mape_kernel_latency makespan_error \
           bias_request_latency requests kernels unpaired_kernels sim_makespan_s real_makespan_s \
           overhead_us_per_kernel noise_floor_request_latency mape_request_latency_ci \
           median_kernel_error noise_floor_kernel_error kernel_classes kernel_shapes repeat; do
    expect_out "\"$key\": "
done
expect_out '"requests": 3'
expect_out '"unpaired_kernels": 0'
expect_out '"noise_floor_request_latency": null'
expect_out '"noise_floor_kernel_error": null'
expect_out '"op": "qkv", "pu": "(cpu|npu)"'
expect_status 0 $HETSOC validate $small --policy fifo
expect_out 'request latency error \(MAPE\)'
expect_out 'kernel latency error \(MAPE\)'
expect_out 'makespan error'
expect_out 'kernel error by op class'
expect_out 'shapes with the largest time error'
# The built-in profile was measured elsewhere and says nothing of its machine.
expect_err 'warning: profile .pocl-cpu-2pu. does not record the machine'
expect_err 'hetsoc profile -o mine.yaml'

# --repeat: the noise floor beside the error, each with an interval.
expect_status 0 $HETSOC validate $small --policy eft --repeat 3 --json
expect_out '"repeat": 3'
expect_out '"runs": 1'
expect_out '"noise_floor_request_latency": [0-9]'
expect_out '"noise_floor_request_latency_ci": [0-9]'
expect_out '"noise_floor_kernel_error": [0-9]'
expect_out '"noise_floor_kernel_error_ci": [0-9]'
expect_out '"mape_request_latency_ci": [0-9]'
expect_out '"mape_request_latency_reps": \[[0-9.e-]+, [0-9.e-]+, [0-9.e-]+\]'
expect_status 0 $HETSOC validate $small --policy eft --repeat 2 --runs 2
expect_out '2 repetitions of 2 hardware runs'
expect_out 'error [0-9.]+% against a noise floor of [0-9.]+%'
# With three, each floor has its interval, and the sentence after it states
# the figures bare (each from its own buffer).
expect_status 0 $HETSOC validate $small --policy eft --repeat 3
expect_out 'noise floor \(real vs real\) +[0-9.]+% \+- [0-9.]+%  \(3 repetitions: error [0-9.]+% against a noise floor of [0-9.]+%\)'
expect_out 'kernel noise floor +[0-9.]+% \+- [0-9.]+%  \(median kernel error [0-9.]+% against a noise floor of [0-9.]+%\)'
expect_status 2 $HETSOC validate $small --policy eft --repeat 0
expect_status 2 $HETSOC validate $small --policy eft --repeat 101
expect_status 2 $HETSOC validate $small --policy eft --repeat

# The four seed policies drive the OpenCL executor too (on this GPU-less
# profile hedrarag's generation worker is the NPU sub-device and its GPU
# index cache is moot).  hero, heterollm and hedrarag place the same
# kernels in both runs, so every kernel pairs; agentxpu late-binds its
# prefill chunks by when PUs fall free (Algorithm 1), which differs between
# the model and the device, so its kernel sets differ and only its
# request latencies compare.
for pol in hero heterollm agentxpu hedrarag; do
    expect_status 0 $HETSOC validate $small --policy $pol --json
    expect_out "\"policy\": \"$pol\""
    expect_out '"requests": 3'
    [ $pol = agentxpu ] || expect_out '"unpaired_kernels": 0'
done

# A workload of fewer than 100 requests validates 100 unless told otherwise.
sed 's/^requests: 100/requests: 5/' "$HS_SOURCE/workloads/tiny-rag-serving.yaml" >"$tmp/few.yaml"
expect_status 0 $HETSOC sim --hw pocl-cpu-2pu --workload "$tmp/few.yaml" --policy fifo --json
expect_out '"requests": 5'
expect_status 0 $HETSOC validate --hw pocl-cpu-2pu --workload "$tmp/few.yaml" --policy fifo --runs 1 --json
expect_out '"requests": 100'

expect_status 2 $HETSOC validate $small --policy fifo --timeline x.json
expect_status 2 $HETSOC validate --workload tiny-agentic-rag --policy fifo
finish
