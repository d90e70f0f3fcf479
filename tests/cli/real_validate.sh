# hetsoc validate: simulator versus hardware, its JSON keys and its table.
. "$(dirname "$0")/real_lib.sh"

expect_status 0 $HETSOC validate $small --policy eft --json
for key in policy hw workload seed mape_request_latency mape_kernel_latency makespan_error \
           bias_request_latency requests kernels unpaired_kernels sim_makespan_s real_makespan_s \
           overhead_us_per_kernel; do
    expect_out "\"$key\": "
done
expect_out '"requests": 3'
expect_out '"unpaired_kernels": 0'
expect_status 0 $HETSOC validate $small --policy fifo
expect_out 'request latency error \(MAPE\)'
expect_out 'kernel latency error \(MAPE\)'
expect_out 'makespan error'
expect_status 2 $HETSOC validate $small --policy fifo --timeline x.json
expect_status 2 $HETSOC validate --workload tiny-agentic-rag --policy fifo
finish
