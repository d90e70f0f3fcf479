# Contention solver (max-min bandwidth sharing) and simulated machine tests.
hs_unit_test(test_bandwidth ${CMAKE_CURRENT_LIST_DIR}/test_bandwidth.c)
hs_unit_test(test_machine ${CMAKE_CURRENT_LIST_DIR}/test_machine.c)
