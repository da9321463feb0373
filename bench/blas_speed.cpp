// bench/blas_speed: what the system BLAS gives libtorch on this machine. Times a 1024x1024 float matmul
// and a 2000x2000 double inverse (LU through LAPACK) with 1 and with all intra-op threads, and names the
// BLAS that is loaded (Debian's libtorch uses whichever libblas.so.3 alternative is installed: the
// reference BLAS, or OpenBLAS once scripts/setup installed libopenblas0-pthread).
//
// Usage: blas_speed [--runs 5]     (median of the runs; one warm-up run first)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/ml/runtime.hpp"

namespace {

template <class F>
double median_seconds(int runs, F&& f) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
  cadenza::ml::reexec_with_blas_core(argv);
  cadenza::ml::init_runtime({});
  std::printf("BLAS: %s\n", cadenza::ml::blas_library().c_str());
  torch::manual_seed(1);
  auto a = torch::randn({1024, 1024});
  auto b = torch::randn({1024, 1024});
  auto m = torch::randn({2000, 2000}, torch::kFloat64) + 2000 * torch::eye(2000, torch::kFloat64);
  int all = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int threads : {1, all}) {
    cadenza::ml::IntraOpThreads scope(threads);
    double mm = median_seconds(runs, [&] { (void)torch::matmul(a, b); });
    double inv = median_seconds(runs, [&] { (void)torch::inverse(m); });
    std::printf("threads %d: matmul 1024^2 float %.1f ms (%.1f GFLOP/s)  inverse 2000^2 double %.1f ms\n", threads,
                mm * 1e3, 2.0 * 1024 * 1024 * 1024 / mm / 1e9, inv * 1e3);
    if (threads == all) break;
  }
}
