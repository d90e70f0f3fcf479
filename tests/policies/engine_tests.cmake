# Engine tests: queueing theory, engine mechanics, plugins.
hs_unit_test(test_queueing ${CMAKE_CURRENT_LIST_DIR}/test_queueing.c)
target_link_libraries(test_queueing PRIVATE GSL::gsl)
hs_unit_test(test_engine ${CMAKE_CURRENT_LIST_DIR}/test_engine.c)
