# SPDX-License-Identifier: Apache-2.0
# cw_set_warnings(<target>): the warning set every Crowdwall target is built with.
function(cw_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
  if(CW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
