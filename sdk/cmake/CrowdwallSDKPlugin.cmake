# SPDX-License-Identifier: Apache-2.0
# crowdwall_add_plugin(<target> KIND <kind> NAME <name> SOURCES <files...> [LIBS <targets...>])
# Builds a plugin shared object named cw-<kind>-<name>.so (kind: acquisition, parser,
# scenario, bouncer, notification). Only cw_plugin_entry is exported: everything else is
# compiled with hidden visibility, so two plugins never share a symbol.
function(crowdwall_add_plugin target)
  cmake_parse_arguments(ARG "" "KIND;NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_KIND OR NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "crowdwall_add_plugin(${target}): KIND, NAME and SOURCES are required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Crowdwall::sdk ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "cw-${ARG_KIND}-${ARG_NAME}"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Unresolved symbols are link errors, not load-time surprises.
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
