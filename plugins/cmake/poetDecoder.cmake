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

# poet_install_decoder(<target>)
#
# Where `cmake --install <build> --prefix PREFIX` puts a decoder: by default PREFIX/lib/poet/decoders,
# under a prefix of the author's choosing, which poet searches once told (--plugin-dir, or
# POET_PLUGIN_PATH). With -DPOET_INSTALL_BESIDE_POET=ON, poet's own decoder folder instead
# (POET_DECODER_DIR, an absolute path in poet's prefix whatever PREFIX says), which every poet run
# loads unasked.
option(POET_INSTALL_BESIDE_POET "install decoders into poet's own decoder folder, not under the prefix" OFF)
function(poet_install_decoder target)
  if(POET_INSTALL_BESIDE_POET)
    install(TARGETS ${target} LIBRARY DESTINATION ${POET_DECODER_DIR})
  else()
    install(TARGETS ${target} LIBRARY DESTINATION lib/poet/decoders)
  endif()
endfunction()
