// The ml runtime: intra-op threads are a per-thread, per-scope setting, never a process-wide one.
#include <doctest/doctest.h>

#include <thread>

#include "cadenza/ml/runtime.hpp"

using namespace cadenza::ml;

TEST_CASE("IntraOpThreads sets the calling thread's intra-op threads for its scope only") {
  const int before = intra_op_threads();
  {
    IntraOpThreads three(3);
    CHECK(intra_op_threads() == 3);
    {
      IntraOpThreads one(1);
      CHECK(intra_op_threads() == 1);
    }
    CHECK(intra_op_threads() == 3);
    // Another thread does not see this thread's setting, and its own does not leak back.
    int seen_elsewhere = 0;
    std::thread other([&] {
      IntraOpThreads five(5);
      seen_elsewhere = intra_op_threads();
    });
    other.join();
    CHECK(seen_elsewhere == 5);
    CHECK(intra_op_threads() == 3);
  }
  CHECK(intra_op_threads() == before);
  IntraOpThreads zero(0);
  CHECK(intra_op_threads() == 1);  // n < 1 counts as 1
}
