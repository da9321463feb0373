#include "cadenza/ml/runtime.hpp"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <strings.h>
#include <unistd.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>

namespace cadenza::ml {

namespace {

// OpenBLAS's control functions, found in the process when libblas.so.3 is OpenBLAS.
using SetThreads = void (*)(int);
using GetConfig = char* (*)();

template <class F>
F blas_symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// Torch sets a thread's OpenMP thread count from its process default the first time the thread runs
// a parallel op; do that first, so that omp_set_num_threads() below is not overwritten by it later.
void touch_torch_thread() { (void)at::get_num_threads(); }

}  // namespace

void init_runtime(const RuntimeOptions& options) {
  static std::once_flag once;
  std::call_once(once, [&] {
    at::set_num_interop_threads(1);
    at::set_num_threads(std::max(1, options.default_threads));
    if (auto set = blas_symbol<SetThreads>("openblas_set_num_threads")) set(std::max(1, options.blas_threads));
  });
}

void reexec_with_blas_core(char** argv) {
  auto corename = blas_symbol<GetConfig>("openblas_get_corename");
  if (!corename || std::getenv("OPENBLAS_CORETYPE") || strcasecmp(corename(), "prescott") != 0) return;
  __builtin_cpu_init();
  const char* core = __builtin_cpu_supports("avx512f") ? "SkylakeX" : __builtin_cpu_supports("avx2") ? "Haswell" : nullptr;
  if (!core) return;
  ::setenv("OPENBLAS_CORETYPE", core, 1);
  ::execv("/proc/self/exe", argv);
}

IntraOpThreads::IntraOpThreads(int n) {
  touch_torch_thread();
  previous_ = omp_get_max_threads();
  omp_set_num_threads(std::max(1, n));
}

IntraOpThreads::~IntraOpThreads() { omp_set_num_threads(previous_); }

int intra_op_threads() {
  touch_torch_thread();
  return at::get_num_threads();
}

std::string blas_library() {
  if (auto config = blas_symbol<GetConfig>("openblas_get_config")) return std::string("openblas (") + config() + ")";
  // Otherwise name the file libblas.so.3 resolved to.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    auto file = line.substr(pos);
    if (file.find("blas") != std::string::npos && file.find(".so") != std::string::npos) return file;
  }
  return "unknown";
}

}  // namespace cadenza::ml
