# cmake -DIN=file -DOUT=file.cpp -DNS=namespace -DFN=function -P embed_text.cmake
# Writes a .cpp defining `std::string_view NS::FN()` that returns the file's bytes.
file(READ "${IN}" content HEX)
string(LENGTH "${content}" n)
set(bytes "")
if(n GREATER 0)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
endif()
math(EXPR size "${n} / 2")
file(WRITE "${OUT}.tmp" "#include <string_view>\nnamespace ${NS} {\nnamespace { const char kData[] = {${bytes} 0}; }\nstd::string_view ${FN}() { return {kData, ${size}}; }\n}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
