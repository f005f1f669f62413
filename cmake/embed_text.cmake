# cmake -DIN=<text file> -DOUT=<.cpp> -DSYMBOL=<ns::name> -P embed_text.cmake
# Writes a C++ file defining `extern const std::string_view <name>` holding the file's bytes,
# split into raw-string chunks (compilers cap the length of one literal). Used for data files
# that must be inside the binary (the common-password list).
file(READ "${IN}" text)
string(REGEX MATCH "^(.*)::([^:]+)$" _ "${SYMBOL}")
set(ns "${CMAKE_MATCH_1}")
set(name "${CMAKE_MATCH_2}")
string(LENGTH "${text}" len)
set(body "")
set(pos 0)
while(pos LESS len)
  string(SUBSTRING "${text}" ${pos} 8000 chunk)
  string(APPEND body "    R\"opdesk_embed(${chunk})opdesk_embed\"\n")
  math(EXPR pos "${pos} + 8000")
endwhile()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_text.cmake; do not edit.\n#include <string_view>\n\nnamespace ${ns} {\nextern const std::string_view ${name};\nconst std::string_view ${name} =\n${body}    \"\";\n}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
