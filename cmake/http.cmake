# http: Beast/Asio live only here, compiled once (separate compilation, src/http/asio_impl.cpp).
file(GLOB_RECURSE _http_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/http/*.cpp)
if(_http_srcs)
  cadenza_module(http ${CADENZA_ALL_MODULES} Boost::headers Threads::Threads)
  target_compile_definitions(cadenza_http PUBLIC BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
                             BOOST_ASIO_NO_DEPRECATED)
  list(APPEND CADENZA_ALL_MODULES cadenza_http)
endif()
