#pragma once
// The two hooks of long work: it reports progress (a fraction 0..1 and the name of the stage it is in) and
// polls a cancellation check between steps. The CLI plugs in a progress bar, a job its JobContext.
#include <functional>
#include <string_view>

namespace cadenza {

using Progress = std::function<void(double fraction, std::string_view stage)>;
using CancelCheck = std::function<bool()>;  // true: stop as soon as possible

}  // namespace cadenza
