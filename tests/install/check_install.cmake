# An outside plugin author's path, end to end: install poet into a scratch prefix, build the
# example plugin from the sources poet installs in share/poet/examples against it with
# find_package(poet), and check that the installed poet loads it: through --plugin-dir, installed
# under a prefix of the author's (through POET_PLUGIN_PATH), then installed beside the built-in
# ones.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "failed (${code}): ${ARGN}\n${out}${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

function(expect_in text expected)
  string(FIND "${text}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${expected}' in:\n${text}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
set(example_sources ${prefix}/share/poet/examples/repetition-penalty)
foreach(installed bin/poet lib/poet/poet-decoder-runner include/poet/decoder.h include/poet/decoder_sdk.h
                  lib/poet/decoders/greedy.so
                  lib/cmake/poet/poetDecoder.cmake share/poet/corpora/tang.tsv share/poet/corpora/tang.ckpt
                  share/poet/corpora/metre.tsv share/poet/corpora/critic.ckpt share/poet/examples/repetition-penalty/CMakeLists.txt
                  share/poet/examples/repetition-penalty/repetition_penalty.c
                  share/poet/examples/rhyme-planner/rhyme_planner.c include/poet/decoder_ext.h
                  share/poet/examples/tonal/tonal.c share/poet/examples/README.md)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not lay out ${installed}")
  endif()
endforeach()

# The installed poet loads the installed model, not the source tree's.
run(${prefix}/bin/poet -c model)
expect_in("${output}" "${prefix}/share/poet/corpora/tang.ckpt")

set(example ${WORK_DIR}/repetition-penalty)
run(${CMAKE_COMMAND} -S ${example_sources} -B ${example} -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${example})

run(${prefix}/bin/poet --plugin-dir ${example} -c decoders)
expect_in("${output}" "greedy 1.2.0  ")
expect_in("${output}" "repetition-penalty 1.1.0  samples, making characters already used less likely")
expect_in("${output}" "    penalty      1.5     ")

# By default it installs under the prefix given, not into poet's.
set(author_prefix ${WORK_DIR}/author)
run(${CMAKE_COMMAND} --install ${example} --prefix ${author_prefix})
set(author_plugin ${author_prefix}/lib/poet/decoders/repetition-penalty.so)
if(NOT EXISTS ${author_plugin} OR EXISTS ${prefix}/lib/poet/decoders/repetition-penalty.so)
  message(FATAL_ERROR "cmake --install --prefix ${author_prefix} did not install to ${author_plugin} only")
endif()
run(${CMAKE_COMMAND} -E env POET_PLUGIN_PATH=${author_prefix}/lib/poet/decoders
    ${prefix}/bin/poet -c decoders)
expect_in("${output}" "repetition-penalty 1.1.0  ")

# POET_INSTALL_BESIDE_POET installs into poet's own decoder folder, where poet finds it unasked.
run(${CMAKE_COMMAND} -S ${example_sources} -B ${example} -DPOET_INSTALL_BESIDE_POET=ON)
run(${CMAKE_COMMAND} --install ${example})
run(${prefix}/bin/poet -c decoders)
expect_in("${output}" "repetition-penalty 1.1.0  ")
# ... and the build folder's copy is then refused as a second decoder of that name.
run(${prefix}/bin/poet --plugin-dir ${example} -c decoders)
expect_in("${output}" "refused ${example}/repetition-penalty.so: a decoder named 'repetition-penalty' is already loaded")

# The second example, on the ABI 2 extensions (form, metre, log) and an instance, built out of
# tree from the installed sources and run by the installed poet on the installed model.
set(planner ${WORK_DIR}/rhyme-planner)
run(${CMAKE_COMMAND} -S ${prefix}/share/poet/examples/rhyme-planner -B ${planner} -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${planner})
run(${prefix}/bin/poet --plugin-dir ${planner} --json
    -c "gen 春 --decoder rhyme-planner --form 五绝 --narrow-group 100000")
expect_in("${output}" "\"warnings\":[\"decoder 'rhyme-planner': the rhyme group ")
