# Reader tests run real target programs; they need the samples.
if(NOT TARGET stuck_server)
  return()
endif()

# Reader tests run real target programs (samples/stuck_server, samples/panic_crash,
# samples/safe_work and targets/) and read them from outside, as `gleak dump` does.
add_executable(gleak_target_spinner targets/spinner.cc)
target_link_libraries(gleak_target_spinner PRIVATE gleak::runtime)
add_executable(gleak_target_crasher targets/crasher.cc)
target_link_libraries(gleak_target_crasher PRIVATE gleak::runtime)

gleak_inspector_test(reader_test)
add_dependencies(reader_test gleak_target_spinner gleak_target_crasher gleak stuck_server panic_crash safe_work)
target_link_libraries(reader_test PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(reader_test PRIVATE
  GLEAK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  GLEAK_SPINNER="$<TARGET_FILE:gleak_target_spinner>"
  GLEAK_CLI="$<TARGET_FILE:gleak>"
  GLEAK_STUCK_SERVER="$<TARGET_FILE:stuck_server>"
  GLEAK_PANIC_CRASH="$<TARGET_FILE:panic_crash>"
  GLEAK_SAFE_WORK="$<TARGET_FILE:safe_work>"
  GLEAK_CRASHER="$<TARGET_FILE:gleak_target_crasher>")
