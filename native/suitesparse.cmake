# diffqp_find_suitesparse(<lib>...): SUITESPARSE_INCLUDE_DIR and SUITESPARSE_<lib>_LIBRARY for
# each library named (Debian's libsuitesparse-dev ships neither pkg-config files nor a CMake
# package). The one SuiteSparse lookup of the top-level CMakeLists.txt and of native/linsys
# built on its own; a second call finds what the first did in the cache.
include_guard(GLOBAL)

function(diffqp_find_suitesparse)
  find_path(SUITESPARSE_INCLUDE_DIR ldl.h PATH_SUFFIXES suitesparse)
  if(NOT SUITESPARSE_INCLUDE_DIR)
    message(FATAL_ERROR "SuiteSparse headers (ldl.h) not found (Debian: libsuitesparse-dev)")
  endif()
  foreach(lib ${ARGN})
    find_library(SUITESPARSE_${lib}_LIBRARY ${lib})
    if(NOT SUITESPARSE_${lib}_LIBRARY)
      message(FATAL_ERROR "SuiteSparse ${lib} not found (Debian: libsuitesparse-dev)")
    endif()
  endforeach()
endfunction()
