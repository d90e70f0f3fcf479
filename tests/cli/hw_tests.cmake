# Command-line tests of `hetsoc hw` and `hetsoc list hw` (included by tests/cli/CMakeLists.txt).
hs_cli_test(cli_hw_show hw_show.sh)
hs_cli_test(cli_hw_predict hw_predict.sh)
hs_cli_test(cli_hw_check hw_check.sh)
hs_cli_test(cli_hw_errors hw_errors.sh)
hs_cli_test(cli_hw_engines engines.sh)
