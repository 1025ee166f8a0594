# The units of the tree and the include rule between them. Every unit includes its
# headers by path from the top of the tree ("inspector/read/reader.h", "arena/layout.h").
# A unit does not get the whole tree on its include path: it gets a directory of its own
# in the build tree that holds links to the units it may use and nothing else, so that
#
#   symbolize  sees  symbolize
#   inspector  sees  arena, symbolize, inspector      (never core/)
#   the CLI    sees  arena, symbolize, inspector, cli
#   testing    sees  arena, symbolize, inspector
#
# and an include of core/internal/ from the inspector or the CLI fails to compile. The
# runtime (core/) and the tests see the whole tree. The public headers (include/gleak)
# come with gleak::runtime.

# gleak_unit_includes(<target> <PUBLIC|PRIVATE> <unit>...) puts on <target>'s include
# path a directory that links exactly those units.
function(gleak_unit_includes target scope)
  list(SORT ARGN)
  string(REPLACE ";" "-" key "${ARGN}")
  set(root ${PROJECT_BINARY_DIR}/units/${key})
  foreach(unit IN LISTS ARGN)
    if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/${unit})
      message(FATAL_ERROR "gleak_unit_includes: no unit ${unit}")
    endif()
    if(NOT EXISTS ${root}/${unit})
      file(MAKE_DIRECTORY ${root})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${unit} ${root}/${unit} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} ${scope} $<BUILD_INTERFACE:${root}>)
endfunction()
