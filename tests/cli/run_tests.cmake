# Command-line tests of experiments: hetsoc run / summary / merge, workers,
# resume after kill -9, shards, MPI, and the notebook.  Included by
# tests/cli/CMakeLists.txt; paths are relative to this file.
set_property(GLOBAL PROPERTY HS_RUN_TESTS_WIRED ON)
set(HS_RUN_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
set(hs_mpiexec "")
if(HS_HAVE_MPI AND MPIEXEC_EXECUTABLE)
  set(hs_mpiexec ${MPIEXEC_EXECUTABLE})
endif()
foreach(t basic jobs resume shard mpi notebook faults)
  add_test(NAME cli_run_${t} COMMAND sh ${HS_RUN_TESTS_DIR}/run_${t}.sh $<TARGET_FILE:hetsoc>
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli_run_${t} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "HS_SOURCE=${CMAKE_SOURCE_DIR};HS_MPIEXEC=${hs_mpiexec};HS_PYTHON=/usr/bin/python3")
endforeach()
# Results files: truncated runs marked, corrupted files reported, not crashed on.
foreach(t truncated corrupt)
  add_test(NAME cli_run_${t} COMMAND sh ${HS_RUN_TESTS_DIR}/run_${t}.sh $<TARGET_FILE:hetsoc>
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(cli_run_${t} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "HS_SOURCE=${CMAKE_SOURCE_DIR};HS_PYTHON=/usr/bin/python3")
endforeach()

# Hardening: -j 1, -j 2 and 2 MPI ranks write the same tables.
add_test(NAME cli_run_determinism COMMAND sh ${HS_RUN_TESTS_DIR}/run_determinism.sh $<TARGET_FILE:hetsoc>
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(cli_run_determinism PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
  ENVIRONMENT "HS_SOURCE=${CMAKE_SOURCE_DIR};HS_MPIEXEC=${hs_mpiexec}")
