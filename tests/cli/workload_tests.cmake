# Command-line tests of the workloads/ layer (included by CMakeLists.txt).
hs_cli_test(cli_workload_show workload_show.sh)
hs_cli_test(cli_workload_check workload_check.sh)
