# poet_add_decoder(<target> <source>...)
#
# A decoder plugin built the way poet loads them: a module library <target>.so that sees only
# the public plugin header (poet::plugin) and exports nothing but its poet_decoder_entry.
# Install it into POET_DECODER_DIR, or point poet at its folder with --plugin-dir or
# POET_PLUGIN_PATH.
function(poet_add_decoder target)
  if(ARGC LESS 2)
    message(FATAL_ERROR "poet_add_decoder(${target}) needs at least one source file")
  endif()
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE poet::plugin)
  if(UNIX)
    target_link_libraries(${target} PRIVATE m)  # the SDK helpers use exp() and pow()
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
