# gleakRemoteUnwind.cmake — PkgConfig::LIBUNWIND_PTRACE, libunwind's remote unwinder
# for the inspector, without the local libunwind.
#
# libunwind-ptrace.pc also names -lunwind, the local unwinder, which exports its own
# backtrace() and _Unwind_* functions. Linked directly into a program it comes before
# libc and libgcc_s in symbol lookup and takes those over: every panic's stack capture
# then goes through libunwind's per-thread cache (about 5x slower, a signal mask
# change per frame), and its thread-exit destructor runs after ThreadSanitizer has
# torn the thread down. libunwind-x86_64 still loads it as its own dependency, after
# libc and libgcc_s, where it takes over nothing.
# _gleak_unwind_mode: REQUIRED (the default, building gleak) or QUIET (gleakConfig.cmake,
# where only the inspector needs it).
if(NOT DEFINED _gleak_unwind_mode)
  set(_gleak_unwind_mode REQUIRED)
endif()
pkg_check_modules(LIBUNWIND_PTRACE ${_gleak_unwind_mode} IMPORTED_TARGET libunwind-ptrace)
if(NOT TARGET PkgConfig::LIBUNWIND_PTRACE)
  return()
endif()
get_target_property(_gleak_unwind_libs PkgConfig::LIBUNWIND_PTRACE INTERFACE_LINK_LIBRARIES)
list(FILTER _gleak_unwind_libs EXCLUDE REGEX "(^|/)(lib)?unwind(\\.so|\\.a)?$")
set_target_properties(PkgConfig::LIBUNWIND_PTRACE PROPERTIES INTERFACE_LINK_LIBRARIES "${_gleak_unwind_libs}")
unset(_gleak_unwind_libs)
