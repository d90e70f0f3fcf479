# DRAM-bandwidth contention solver and the fluid simulated machine.
target_sources(hetsoc_lib PRIVATE ${CMAKE_CURRENT_LIST_DIR}/bandwidth.c ${CMAKE_CURRENT_LIST_DIR}/machine.c)
