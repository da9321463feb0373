#pragma once
// Request metrics in Prometheus text format: a counter per route/method/status and a latency
// histogram per route. Gauges from other modules are appended by the /metrics handler.
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace cadenza::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  // route: the route pattern ("/api/jobs/{id}") or a fixed label for unmatched requests.
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  std::string render() const;  // # HELP / # TYPE / samples, newline terminated
  std::atomic<long> open_connections{0};
  std::atomic<long> open_websockets{0};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// Escapes a Prometheus label value.
std::string prom_label(const std::string& v);

}  // namespace cadenza::http
