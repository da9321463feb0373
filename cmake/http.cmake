# http: Beast/Asio live only here, compiled once (separate compilation, src/http/asio_impl.cpp).
file(GLOB_RECURSE _http_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/http/*.cpp)
if(_http_srcs)
  cadenza_module(http ${CADENZA_ALL_MODULES} Boost::headers Threads::Threads)
  target_compile_definitions(cadenza_http PUBLIC BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
                             BOOST_ASIO_NO_DEPRECATED)
  # The OpenAPI document is written as plain JSON files in the source tree (src/http/openapi/: base.json,
  # then one per API area), embedded into the binary and merged when served.
  file(GLOB _openapi_parts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/http/openapi/*.json)
  list(SORT _openapi_parts)
  string(REPLACE ";" "," _openapi_list "${_openapi_parts}")  # one argument for the script
  set(_openapi_cpp ${CMAKE_BINARY_DIR}/generated/openapi_parts.cpp)
  add_custom_command(OUTPUT ${_openapi_cpp}
    COMMAND ${CMAKE_COMMAND} "-DIN=${_openapi_list}" -DOUT=${_openapi_cpp}
            -DNS=cadenza::http -DFN=openapi_parts -P ${PROJECT_SOURCE_DIR}/cmake/embed_parts.cmake
    DEPENDS ${_openapi_parts} ${PROJECT_SOURCE_DIR}/cmake/embed_parts.cmake)
  target_sources(cadenza_http PRIVATE ${_openapi_cpp})
  execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE _commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _commit)
    set(_commit "unknown")
  endif()
  target_compile_definitions(cadenza_http PRIVATE CADENZA_VERSION="${PROJECT_VERSION}" CADENZA_COMMIT="${_commit}")
  list(APPEND CADENZA_ALL_MODULES cadenza_http)
endif()
