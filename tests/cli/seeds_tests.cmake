# The seed-paper experiments in their reduced settings, then their notebooks on those results (a fixture:
# the notebooks' test reads what cli_seeds wrote).  Included by tests/cli/CMakeLists.txt.
set(hs_seeds_out ${CMAKE_CURRENT_BINARY_DIR}/seeds-ci)
set(hs_seeds_env "HS_SOURCE=${CMAKE_SOURCE_DIR};HS_SEEDS_OUT=${hs_seeds_out};HS_PYTHON=/usr/bin/python3")
add_test(NAME cli_seeds COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/seeds.sh $<TARGET_FILE:hetsoc>)
set_tests_properties(cli_seeds PROPERTIES TIMEOUT 900 ENVIRONMENT "${hs_seeds_env}" FIXTURES_SETUP seeds_results)
add_test(NAME cli_seeds_notebooks COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/seeds_notebooks.sh $<TARGET_FILE:hetsoc>)
set_tests_properties(cli_seeds_notebooks PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 ENVIRONMENT "${hs_seeds_env}"
                     FIXTURES_REQUIRED seeds_results)
