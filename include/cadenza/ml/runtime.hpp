#pragma once
// The ml runtime: the one owner of the threads libtorch and the system BLAS use. Torch-free header.
//
// Torch's intra-op thread count and the BLAS thread count are process-wide settings, so no net sets
// them (a second net would fight over them). Instead:
//  - init_runtime() runs once at start-up (serve, the CLI, benches): one inter-op thread, the default
//    intra-op count for threads that never ask, and the BLAS's own thread count;
//  - every call into a net runs inside IntraOpThreads(n), which sets the intra-op threads of the
//    calling thread only (OpenMP's per-thread setting), n coming from the caller's budget: a job's lane
//    (JobContext::threads()), a CLI flag, or 1 for the worker threads a net starts itself.
#include <string>

namespace cadenza::ml {

struct RuntimeOptions {
  // Intra-op threads of a thread that never sets its own (0 = 1: calls say what they may use).
  int default_threads = 0;
  // Threads of the BLAS itself (OpenBLAS's pthread pool; the reference BLAS has none). 0 = 1: torch
  // runs the calls of several jobs at once, each within its budget, and a BLAS pool shared by them all
  // would oversubscribe the cores.
  int blas_threads = 0;
};

// Idempotent: the first call wins.
void init_runtime(const RuntimeOptions& options);

// RAII: intra-op threads of the calling thread for the scope, restored after. n < 1 counts as 1.
class IntraOpThreads {
 public:
  explicit IntraOpThreads(int n);
  ~IntraOpThreads();
  IntraOpThreads(const IntraOpThreads&) = delete;
  IntraOpThreads& operator=(const IntraOpThreads&) = delete;

 private:
  int previous_;
};

// OpenBLAS picks its kernels by CPU model when it loads; on a virtual CPU it may not know the model
// and fall back to its oldest x86-64 kernels ("Prescott"), about half as fast. OPENBLAS_CORETYPE
// is read only at load, so when that happened and the CPU has AVX2 / AVX-512, this sets it and
// re-executes the program (argv as given to main); otherwise (OpenBLAS not loaded, a modern core
// chosen, the variable already set, exec failing) it returns and nothing changed. First thing in main.
void reexec_with_blas_core(char** argv);

// Intra-op threads of the calling thread now.
int intra_op_threads();
// The BLAS libtorch calls, as loaded in this process: "openblas (<its build config and core>)", or the
// path of the libblas file (the reference BLAS).
std::string blas_library();

}  // namespace cadenza::ml
