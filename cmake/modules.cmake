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
# net: outbound HTTP (libcurl) that never reaches internal addresses; nothing but core.
find_package(CURL REQUIRED)
cadenza_add(net cadenza_core CURL::libcurl)
include(${CMAKE_CURRENT_LIST_DIR}/store.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/audio.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/ml.cmake OPTIONAL)
cadenza_add(transcribe cadenza_core cadenza_audio cadenza_ml)
cadenza_add(notation cadenza_core)
# generate: prompt -> controls, the symbolic corpus, compound tokens, the n-gram baseline, the transformer
# sampler and its training (on ml, through its torch-free headers).
cadenza_add(generate cadenza_core cadenza_notation cadenza_ml)
# models/markov.bin (cadenza train-markov) is embedded into the binary (src/generate/markov_embedded.cpp); a
# changed file reconfigures, so its hash (in the flags) makes ccache compile it again.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/models/markov.bin)
if(EXISTS ${PROJECT_SOURCE_DIR}/models/markov.bin)
  file(SHA256 ${PROJECT_SOURCE_DIR}/models/markov.bin _markov_sha)
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/generate/markov_embedded.cpp PROPERTIES
    COMPILE_DEFINITIONS "CADENZA_MARKOV_BIN=\"${PROJECT_SOURCE_DIR}/models/markov.bin\";CADENZA_MARKOV_SHA=${_markov_sha}"
    OBJECT_DEPENDS ${PROJECT_SOURCE_DIR}/models/markov.bin)
endif()
cadenza_add(recommend cadenza_core cadenza_store cadenza_ml)
cadenza_add(jobs cadenza_core cadenza_config cadenza_store)
cadenza_add(pipeline cadenza_core cadenza_net cadenza_audio cadenza_ml cadenza_transcribe cadenza_notation cadenza_generate cadenza_recommend cadenza_store cadenza_jobs)
include(${CMAKE_CURRENT_LIST_DIR}/web.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/http.cmake)
