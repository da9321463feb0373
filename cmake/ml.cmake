# ml: the only module that includes libtorch. Torch is linked PRIVATE so that no other target sees
# its headers; the public headers of cadenza_ml are torch-free.
find_package(Torch REQUIRED PATHS /usr/lib/x86_64-linux-gnu/cmake/Torch)
cadenza_add(ml cadenza_core)
if(TARGET cadenza_ml)
  # gomp: the ml runtime sets OpenMP's per-thread thread count (libtorch itself runs on libgomp).
  target_link_libraries(cadenza_ml PRIVATE ${TORCH_LIBRARIES} gomp ${CMAKE_DL_LIBS})
  target_compile_definitions(cadenza_ml PUBLIC CADENZA_MODELS_DIR="${PROJECT_SOURCE_DIR}/models")
endif()
