# One static library per module, listed bottom-up (a module may only use those above it).
# Each module's sources are src/<module>/*.cpp; headers include/cadenza/<module>/*.hpp.
set(CADENZA_ALL_MODULES "")
macro(cadenza_add name)
  file(GLOB_RECURSE _probe CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(_probe)
    cadenza_module(${name} ${ARGN})
    list(APPEND CADENZA_ALL_MODULES cadenza_${name})
  endif()
endmacro()

cadenza_add(core fmt::fmt spdlog::spdlog nlohmann_json::nlohmann_json PkgConfig::SODIUM Threads::Threads)
cadenza_add(config cadenza_core PkgConfig::TOMLPP)
cadenza_add(store cadenza_core SQLite::SQLite3)
include(${CMAKE_CURRENT_LIST_DIR}/audio.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/ml.cmake OPTIONAL)
cadenza_add(notation cadenza_core)
cadenza_add(jobs cadenza_core cadenza_store)
include(${CMAKE_CURRENT_LIST_DIR}/http.cmake)
