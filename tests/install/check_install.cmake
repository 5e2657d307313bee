# An outside plugin author's path, end to end: install poet into a scratch prefix, build the
# example plugin in plugins/examples against it with find_package(poet), and check that the
# installed poet loads it, first through --plugin-dir, then installed beside the built-in ones.
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
foreach(installed bin/poet lib/poet/poet-decoder-runner include/poet/decoder.h include/poet/decoder_sdk.h
                  lib/poet/decoders/greedy.so
                  lib/cmake/poet/poetDecoder.cmake share/poet/corpora/tang.tsv share/poet/corpora/tang.ckpt
                  share/poet/corpora/metre.tsv)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not lay out ${installed}")
  endif()
endforeach()

# The installed poet loads the installed model, not the source tree's.
run(${prefix}/bin/poet -c model)
expect_in("${output}" "${prefix}/share/poet/corpora/tang.ckpt")

set(example ${WORK_DIR}/repetition-penalty)
run(${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${example} -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${example})

run(${prefix}/bin/poet --plugin-dir ${example} -c decoders)
expect_in("${output}" "greedy 1.0.0  ")
expect_in("${output}" "repetition-penalty 1.0.0  samples, making characters already used less likely")
expect_in("${output}" "    penalty      1.5     ")

run(${CMAKE_COMMAND} --install ${example})
run(${prefix}/bin/poet -c decoders)
expect_in("${output}" "repetition-penalty 1.0.0  ")
