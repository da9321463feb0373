#pragma once
// The ErrorKind a call throws (a test failure when it throws nothing).
#include <doctest/doctest.h>

#include <functional>

#include "cadenza/core/error.hpp"

namespace cadenza::test {

inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error thrown");
  return ErrorKind::Internal;
}

}  // namespace cadenza::test
