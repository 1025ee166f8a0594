# Reader tests run real target programs; they need the samples.
if(NOT TARGET gleak_sample_stuck_server)
  return()
endif()

# Reader tests run real target programs (samples/stuck_server, samples/panic_crash,
# samples/safe_work and targets/) and read them from outside, as `gleak dump` does.
add_executable(gleak_target_spinner targets/spinner.cc)
target_link_libraries(gleak_target_spinner PRIVATE gleak::runtime)
add_executable(gleak_target_crasher targets/crasher.cc)
target_link_libraries(gleak_target_crasher PRIVATE gleak::runtime)
add_executable(gleak_target_busy targets/busy.cc)
target_link_libraries(gleak_target_busy PRIVATE gleak::runtime)

gleak_inspector_test(reader_test)
add_dependencies(reader_test gleak_target_spinner gleak_target_crasher gleak
  gleak_sample_stuck_server gleak_sample_panic_crash gleak_sample_safe_work gleak_sample_hundred_thousand
  gleak_target_parked)
target_link_libraries(reader_test PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(reader_test PRIVATE
  GLEAK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  GLEAK_SPINNER="$<TARGET_FILE:gleak_target_spinner>"
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_STUCK_SERVER="$<TARGET_FILE:gleak_sample_stuck_server>"
  GLEAK_PANIC_CRASH="$<TARGET_FILE:gleak_sample_panic_crash>"
  GLEAK_SAFE_WORK="$<TARGET_FILE:gleak_sample_safe_work>"
  GLEAK_HUNDRED_THOUSAND="$<TARGET_FILE:gleak_sample_hundred_thousand>"
  GLEAK_CRASHER="$<TARGET_FILE:gleak_target_crasher>"
  GLEAK_PARKED="$<TARGET_FILE:gleak_target_parked>")

# gleak trace: the Trace Event JSON of hand-made events, of a live process and of a
# crashed one.
gleak_inspector_test(trace_test)
add_dependencies(trace_test gleak_target_busy gleak gleak_sample_panic_crash)
target_link_libraries(trace_test PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(trace_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_BUSY="$<TARGET_FILE:gleak_target_busy>"
  GLEAK_PANIC_CRASH="$<TARGET_FILE:gleak_sample_panic_crash>")

# gleak dump --format=pprof: profiles read back with protobuf, and by go tool pprof.
gleak_inspector_test(pprof_test)
add_dependencies(pprof_test gleak gleak_sample_stuck_server)
target_link_libraries(pprof_test PRIVATE gleak_pprof_proto)
target_compile_definitions(pprof_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_STUCK_SERVER="$<TARGET_FILE:gleak_sample_stuck_server>")

# gleak top: the rendering, and the command in a pseudo-terminal.
gleak_inspector_test(top_test)
add_dependencies(top_test gleak gleak_sample_stuck_server)
if(NOT GLEAK_SANITIZE)
  add_dependencies(top_test leak_case_leak_early_return_send)
endif()
target_link_libraries(top_test PRIVATE util)
target_compile_definitions(top_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_STUCK_SERVER="$<TARGET_FILE:gleak_sample_stuck_server>"
  GLEAK_LEAK_CASES_BIN="${PROJECT_BINARY_DIR}/tests/leaks")

# What the inspector trusts: arena directories, links, FIFOs, reused pids.
gleak_inspector_test(arena_file_test)
add_dependencies(arena_file_test gleak gleak_sample_stuck_server gleak_target_parked)
target_compile_definitions(arena_file_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_PARKED="$<TARGET_FILE:gleak_target_parked>"
  GLEAK_STUCK_SERVER="$<TARGET_FILE:gleak_sample_stuck_server>")

# Stopping a process: racing readers, another tracer, readers killed mid-read.
gleak_inspector_test(memory_test)
add_dependencies(memory_test gleak gleak_target_parked)
target_compile_definitions(memory_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_PARKED="$<TARGET_FILE:gleak_target_parked>")

# The frozen copy the leak analysis reads: unseen by the program, never left behind.
add_executable(gleak_target_reaper targets/reaper.cc)
target_link_libraries(gleak_target_reaper PRIVATE gleak::runtime)
gleak_inspector_test(fork_copy_test)
add_dependencies(fork_copy_test gleak gleak_target_reaper)
target_compile_definitions(fork_copy_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_REAPER="$<TARGET_FILE:gleak_target_reaper>")

# A thousand dumps of a busy target (about five minutes).
add_executable(dump_stress_test dump_stress_test.cc)
target_include_directories(dump_stress_test PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(dump_stress_test PRIVATE GTest::gtest GTest::gtest_main)
add_dependencies(dump_stress_test gleak gleak_target_parked)
target_compile_definitions(dump_stress_test PRIVATE
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_PARKED="$<TARGET_FILE:gleak_target_parked>")
gtest_discover_tests(dump_stress_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 1200 LABELS "inspector;stress")
