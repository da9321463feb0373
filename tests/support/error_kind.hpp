#pragma once
// error_kind_of: runs f and returns the kind of the cadenza::Error it throws, with its Retry-After and
// fields on request. A test failure (doctest FAIL) when f throws nothing.
#include <doctest/doctest.h>

#include "cadenza/core/error.hpp"

namespace cadenza::test {

template <class F>
ErrorKind error_kind_of(F&& f, int* retry_after = nullptr, Error::Fields* fields = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (retry_after) *retry_after = e.retry_after();
    if (fields) *fields = e.fields();
    return e.kind();
  }
  FAIL("expected a cadenza::Error, but nothing was thrown");
  return ErrorKind::Internal;
}

}  // namespace cadenza::test
