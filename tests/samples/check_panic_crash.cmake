# Runs the panic_crash sample (-DPROGRAM=<path>) and checks that it crashed the way an
# unrecovered Go panic does: exit status 2, and on stderr `panic: <message>`, the
# panicking goroutine's stack and the site that created it.
if(NOT PROGRAM)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<path to panic_crash> -P check_panic_crash.cmake")
endif()

execute_process(COMMAND "${PROGRAM}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 60)
message("---- stdout ----\n${out}---- stderr ----\n${err}---- exit status: ${status}")

set(failed FALSE)
function(fail what)
  message(SEND_ERROR "panic_crash: ${what}")
  set(failed TRUE PARENT_SCOPE)
endfunction()

if(NOT status STREQUAL "2")
  fail("exit status is '${status}', want 2")
endif()
# stdout: the items before the failing one, and nothing after the crash.
if(NOT out MATCHES "^processed item 1 -> 10\nprocessed item 2 -> 20\n$")
  fail("stdout is not exactly items 1 and 2")
endif()
# stderr: the report.
if(NOT err MATCHES "(^|\n)panic: cannot process item 3\n")
  fail("no `panic: cannot process item 3` line")
endif()
if(NOT err MATCHES "(^|\n)goroutine [0-9]+ \\[running\\]:\n")
  fail("no `goroutine N [running]:` line")
endif()
if(NOT err MATCHES "(^|\n)process\\(int\\)\n")
  fail("the stack does not show process(int)")
endif()
if(NOT err MATCHES "(^|\n)created by [^\n]+ in goroutine 1\n")
  fail("no `created by ... in goroutine 1` line")
endif()
if(err MATCHES "ERROR: AddressSanitizer|runtime error: ")
  fail("sanitizer report")
endif()

if(failed)
  message(FATAL_ERROR "panic_crash did not crash as expected")
endif()
