# Command-line tests of the real backend: hetsoc real, validate, profile,
# bench overhead and experiments with backend: real.  Each skips (exit 77)
# without an OpenCL device.  They run in parallel (tests/real/CMakeLists.txt
# says why that is safe).  Included by tests/cli/CMakeLists.txt; paths are
# relative to this file.
set(HS_REAL_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
foreach(t run validate profile overhead experiment faults workloads contention)
  add_test(NAME cli_real_${t} COMMAND sh ${HS_REAL_TESTS_DIR}/real_${t}.sh $<TARGET_FILE:hetsoc>
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli_real_${t} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
    ENVIRONMENT "HS_SOURCE=${CMAKE_SOURCE_DIR}")
  hs_real_test(cli_real_${t})
endforeach()
