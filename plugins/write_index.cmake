# SPDX-License-Identifier: Apache-2.0
# cmake -DOUT=index.json -DPLUGINS=id@kind@version@file,... -DABI=1.0 -P write_index.cmake
# Writes the `plugins` section of a hub index for the plugins just built.
if(CMAKE_HOST_SYSTEM_PROCESSOR)
  set(arch ${CMAKE_HOST_SYSTEM_PROCESSOR})
else()
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
string(REPLACE "," ";" plugins "${PLUGINS}")
set(body "")
foreach(p ${plugins})
  string(REPLACE "@" ";" f "${p}")
  list(GET f 0 id)
  list(GET f 1 kind)
  list(GET f 2 version)
  list(GET f 3 path)
  # The loader refuses plugins writable by group or others: whatever the umask of the build.
  file(CHMOD ${path} FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
       GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(SHA256 ${path} digest)
  get_filename_component(name ${path} NAME)
  if(body)
    string(APPEND body ",\n")
  endif()
  string(APPEND body "    \"${id}\": {\n      \"abi\": \"${ABI}\",\n      \"file\": \"${name}\",\n"
         "      \"kind\": \"${kind}\",\n      \"platform\": \"linux-${arch}\",\n"
         "      \"sha256\": \"${digest}\",\n      \"version\": \"${version}\"\n    }")
endforeach()
get_filename_component(dir ${OUT} DIRECTORY)
file(CHMOD ${dir} DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
     GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(WRITE ${OUT}.tmp "{\n  \"plugins\": {\n${body}\n  }\n}\n")
file(RENAME ${OUT}.tmp ${OUT})
