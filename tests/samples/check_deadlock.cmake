# Runs the deadlock sample (-DPROGRAM=<path>) with its arena in -DWORKDIR, and checks
# that the runtime proved the global deadlock: exit status 2, Go's message, the leaked
# goroutines with their proofs on stderr; then that `gleak dump` (-DGLEAK=<path>) of the
# arena it left shows the message first.
if(NOT PROGRAM OR NOT GLEAK OR NOT WORKDIR)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<deadlock> -DGLEAK=<gleak> -DWORKDIR=<dir> -P check_deadlock.cmake")
endif()
file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
set(ENV{GLEAK_DIR} "${WORKDIR}")

execute_process(COMMAND "${PROGRAM}" RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
message("---- stdout ----\n${out}---- stderr ----\n${err}---- exit status: ${status}")

set(failed FALSE)
function(fail what)
  message(SEND_ERROR "deadlock: ${what}")
  set(failed TRUE PARENT_SCOPE)
endfunction()

if(NOT status STREQUAL "2")
  fail("exit status is '${status}', want 2")
endif()
if(NOT out MATCHES "consumer: giving up after 3\n$")
  fail("stdout does not end with the consumer giving up")
endif()
if(NOT err MATCHES "^fatal error: all goroutines are asleep - deadlock!\n")
  fail("stderr does not start with Go's deadlock message")
endif()
# main (goroutine 1) on the WaitGroup, the producer on its send: both proven.
if(NOT err MATCHES "goroutine 1 \\[sync.WaitGroup.Wait \\(leaked\\)")
  fail("goroutine 1 is not shown leaked on its WaitGroup")
endif()
if(NOT err MATCHES "\\[chan send \\(leaked\\)[^\n]*\n[^\n]*produce")
  fail("the producer is not shown leaked on its send")
endif()
if(NOT err MATCHES "why: nothing that can still run refers to the object it waits on")
  fail("no proof")
endif()

file(GLOB arenas "${WORKDIR}/*.arena")
list(LENGTH arenas n)
if(NOT n EQUAL 1)
  fail("want one arena left in ${WORKDIR}, found ${n}")
else()
  execute_process(COMMAND "${GLEAK}" dump ${arenas} RESULT_VARIABLE dstatus OUTPUT_VARIABLE dump ERROR_VARIABLE derr
                  TIMEOUT 60)
  message("---- gleak dump ----\n${dump}${derr}")
  if(NOT dstatus STREQUAL "0")
    fail("gleak dump of the arena failed with '${dstatus}'")
  endif()
  if(NOT dump MATCHES "^# [^\n]*crashed[^\n]*\n# [^\n]*\n\nfatal error: all goroutines are asleep - deadlock!\n\ngoroutine ")
    fail("the dump does not show the deadlock message first")
  endif()
endif()

if(failed)
  message(FATAL_ERROR "deadlock did not end as expected")
endif()
