# The text and JSON reports and their tests. The reports are compiled into a library
# of their own, so they build and test before the rest of gleak_inspector (the readers)
# does. Paths are relative to this file, so it can be included from anywhere.
set(_gleak_reports_root ${CMAKE_CURRENT_LIST_DIR}/../..)
cmake_path(NORMAL_PATH _gleak_reports_root)

if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3 REQUIRED)
endif()
if(NOT TARGET GTest::gtest)
  find_package(GTest REQUIRED)
endif()
include(GoogleTest)

add_library(gleak_reports_for_test STATIC
  ${_gleak_reports_root}/inspector/report/report_text.cc
  ${_gleak_reports_root}/inspector/report/report_json.cc)
target_include_directories(gleak_reports_for_test PUBLIC ${_gleak_reports_root})
target_compile_features(gleak_reports_for_test PUBLIC cxx_std_20)
target_link_libraries(gleak_reports_for_test PRIVATE nlohmann_json::nlohmann_json)

# Golden files live in testdata/; GLEAK_UPDATE_GOLDEN=1 rewrites them (see the tests).
foreach(name report_text_test report_json_test)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.cc)
  target_link_libraries(${name} PRIVATE gleak_reports_for_test nlohmann_json::nlohmann_json
    GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE GLEAK_TESTDATA="${CMAKE_CURRENT_LIST_DIR}/testdata")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 60 LABELS "inspector")
endforeach()
