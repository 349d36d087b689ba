# Reads native/sources.json, the one list of what is compiled (binding.gyp reads it too, through
# scripts/sources.js). Included by the top-level CMakeLists.txt and by native/{linsys,admm,ipm}
# when they are built on their own.
include_guard(GLOBAL)
set(DIFFQP_ROOT "${CMAKE_CURRENT_LIST_DIR}/..")
set(DIFFQP_SOURCES_JSON "${CMAKE_CURRENT_LIST_DIR}/sources.json")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${DIFFQP_SOURCES_JSON}")
file(READ "${DIFFQP_SOURCES_JSON}" DIFFQP_SOURCES)
string(JSON DIFFQP_HIGHS_VERSION GET "${DIFFQP_SOURCES}" highs_version)

# diffqp_sources(<var> <key>...): the list at that path of sources.json, as absolute paths.
function(diffqp_sources out)
  string(JSON n LENGTH "${DIFFQP_SOURCES}" ${ARGN})
  set(files "")
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON item GET "${DIFFQP_SOURCES}" ${ARGN} ${i})
      list(APPEND files "${DIFFQP_ROOT}/${item}")
    endforeach()
  endif()
  set(${out} ${files} PARENT_SCOPE)
endfunction()
