#include "cadenza/http/metrics.hpp"

#include <fmt/format.h>

namespace cadenza::http {

std::string prom_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP cadenza_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE cadenza_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("cadenza_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       prom_label(route), method, status, n);
  }
  out += "# HELP cadenza_http_request_duration_seconds HTTP request latency by route.\n";
  out += "# TYPE cadenza_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    auto label = prom_label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += fmt::format("cadenza_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                         kBuckets[i], h.buckets[i]);
    out += fmt::format("cadenza_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label, h.count);
    out += fmt::format("cadenza_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label, h.sum);
    out += fmt::format("cadenza_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, h.count);
  }
  out += "# HELP cadenza_http_open_connections Open HTTP connections.\n# TYPE cadenza_http_open_connections gauge\n";
  out += fmt::format("cadenza_http_open_connections {}\n", open_connections.load());
  out += "# HELP cadenza_ws_open_sessions Open WebSocket sessions.\n# TYPE cadenza_ws_open_sessions gauge\n";
  out += fmt::format("cadenza_ws_open_sessions {}\n", open_websockets.load());
  return out;
}

}  // namespace cadenza::http
