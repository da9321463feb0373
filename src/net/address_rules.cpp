#include "cadenza/net/address_rules.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "cadenza/core/error.hpp"

namespace cadenza::net {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

// An address in the form the rules work on: IPv4 in the first 4 bytes, or IPv6.
struct Addr {
  bool v6 = false;
  Bytes b{};
};

bool in_prefix(const Bytes& a, const Bytes& net, int prefix) {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.data(), net.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (net[full] & mask);
}

bool matches(const Addr& a, const AddressRules::Network& n) {
  return a.v6 == n.v6 && in_prefix(a.b, n.bytes, n.prefix);
}

std::string text_of(const Addr& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.b.data(), buf, sizeof buf);
  return buf;
}

Addr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  Addr r;
  r.b[0] = a, r.b[1] = b, r.b[2] = c, r.b[3] = d;
  return r;
}

// The IPv4 address an IPv6 address stands for, where it embeds one.
std::optional<Addr> embedded_v4(const Addr& a) {
  if (!a.v6) return std::nullopt;
  const auto& b = a.b;
  auto zeros = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT), ::a.b.c.d (compatible; :: and ::1 are judged as IPv6).
  bool mapped = zeros(0, 10) && b[10] == 0xFF && b[11] == 0xFF;
  bool siit = zeros(0, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0;
  bool compatible = zeros(0, 12) && !(zeros(12, 15) && b[15] <= 1);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix).
  bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && zeros(4, 12);
  if (mapped || siit || compatible || nat64) return v4(b[12], b[13], b[14], b[15]);
  // 2002:AABB:CCDD::/48 (6to4).
  if (b[0] == 0x20 && b[1] == 0x02) return v4(b[2], b[3], b[4], b[5]);
  return std::nullopt;
}

struct Blocked {
  Addr net;
  int prefix;
  const char* what;
};

const std::vector<Blocked>& blocked_v4() {
  static const std::vector<Blocked> t = {
      {v4(0, 0, 0, 0), 8, "an unspecified (\"this network\") address"},
      {v4(127, 0, 0, 0), 8, "a loopback address"},
      {v4(10, 0, 0, 0), 8, "a private address"},
      {v4(172, 16, 0, 0), 12, "a private address"},
      {v4(192, 168, 0, 0), 16, "a private address"},
      {v4(100, 64, 0, 0), 10, "a shared (carrier-grade NAT) address"},
      {v4(169, 254, 169, 254), 32, "a link-local address (the cloud metadata service)"},
      {v4(169, 254, 0, 0), 16, "a link-local address"},
      {v4(192, 0, 0, 0), 24, "an IETF protocol assignment address"},
      {v4(198, 18, 0, 0), 15, "a benchmarking address"},
      {v4(224, 0, 0, 0), 4, "a multicast address"},
      {v4(255, 255, 255, 255), 32, "the broadcast address"},
      {v4(240, 0, 0, 0), 4, "a reserved address"},
  };
  return t;
}

Addr v6_of(const char* text) {
  Addr a;
  a.v6 = true;
  inet_pton(AF_INET6, text, a.b.data());
  return a;
}

const std::vector<Blocked>& blocked_v6() {
  static const std::vector<Blocked> t = {
      {v6_of("::"), 128, "an unspecified address"},
      {v6_of("::1"), 128, "a loopback address"},
      {v6_of("fc00::"), 7, "a unique-local (private) address"},
      {v6_of("fe80::"), 10, "a link-local address"},
      {v6_of("fec0::"), 10, "a site-local address"},
      {v6_of("ff00::"), 8, "a multicast address"},
      {v6_of("64:ff9b:1::"), 48, "a local-use NAT64 address"},
  };
  return t;
}

const char* blocked_what(const Addr& a) {
  for (const auto& b : a.v6 ? blocked_v6() : blocked_v4())
    if (in_prefix(a.b, b.net.b, b.prefix)) return b.what;
  return nullptr;
}

std::optional<Addr> parse_ip(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  Addr a;
  if (inet_pton(AF_INET, s.c_str(), a.b.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.b.data()) == 1) return a;
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_entry(std::string_view entry, const std::string& why) {
  std::string msg = "net.allow_networks: \"" + std::string(entry) + "\" " + why;
  throw Error{ErrorKind::BadRequest, msg, {{"net.allow_networks", msg}}};
}

}  // namespace

AddressRules AddressRules::parse(std::string_view allow_networks) {
  AddressRules rules;
  std::size_t start = 0;
  while (start <= allow_networks.size()) {
    auto comma = allow_networks.find(',', start);
    if (comma == std::string_view::npos) comma = allow_networks.size();
    auto entry = trim(allow_networks.substr(start, comma - start));
    start = comma + 1;
    if (entry.empty()) continue;

    auto slash = entry.find('/');
    auto addr_text = trim(entry.substr(0, slash));
    auto ip = parse_ip(addr_text);
    if (!ip || addr_text.front() == '[') bad_entry(entry, "is not an IPv4 or IPv6 address or network (CIDR)");
    int max = ip->v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string_view::npos) {
      auto p = trim(entry.substr(slash + 1));
      if (p.empty() || p.size() > 3) bad_entry(entry, "has no valid prefix length after '/'");
      prefix = 0;
      for (char c : p) {
        if (c < '0' || c > '9') bad_entry(entry, "has no valid prefix length after '/'");
        prefix = prefix * 10 + (c - '0');
      }
      if (prefix > max)
        bad_entry(entry, "has a prefix length over " + std::to_string(max) + (ip->v6 ? " (IPv6)" : " (IPv4)"));
    }
    Network n;
    n.v6 = ip->v6;
    n.prefix = prefix;
    for (int i = 0; i < 16; ++i) {
      int bits = std::max(0, std::min(8, prefix - i * 8));
      n.bytes[i] = static_cast<std::uint8_t>(ip->b[i] & (bits == 0 ? 0 : (0xFF << (8 - bits)) & 0xFF));
    }
    if (n.bytes != ip->b) {
      Addr masked{n.v6, n.bytes};
      bad_entry(entry, "has bits set beyond its prefix length (did you mean " + text_of(masked) + "/" +
                           std::to_string(prefix) + "?)");
    }
    rules.allowed_.push_back(n);
  }
  return rules;
}

std::optional<std::string> AddressRules::refusal(const sockaddr* addr) const {
  if (addr == nullptr) return std::string("no address to connect to");
  Addr a;
  if (addr->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof in);
    std::memcpy(a.b.data(), &in.sin_addr, 4);
  } else if (addr->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof in6);
    a.v6 = true;
    std::memcpy(a.b.data(), &in6.sin6_addr, 16);
  } else {
    return "address family " + std::to_string(addr->sa_family) + " is not an internet address";
  }
  auto inner = embedded_v4(a);
  for (const auto& n : allowed_)
    if (matches(a, n) || (inner && matches(*inner, n))) return std::nullopt;
  if (const char* what = blocked_what(a)) return text_of(a) + " is " + what;
  if (inner)
    if (const char* what = blocked_what(*inner))
      return text_of(a) + " stands for " + text_of(*inner) + ", " + what;
  return std::nullopt;
}

std::optional<std::string> AddressRules::refusal(std::string_view ip) const {
  auto a = parse_ip(ip);
  if (!a) return "\"" + std::string(ip) + "\" is not an IP address";
  if (a->v6) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    std::memcpy(&in6.sin6_addr, a->b.data(), 16);
    return refusal(reinterpret_cast<const sockaddr*>(&in6));
  }
  sockaddr_in in{};
  in.sin_family = AF_INET;
  std::memcpy(&in.sin_addr, a->b.data(), 4);
  return refusal(reinterpret_cast<const sockaddr*>(&in));
}

std::vector<std::string> AddressRules::networks() const {
  std::vector<std::string> out;
  for (const auto& n : allowed_) out.push_back(text_of(Addr{n.v6, n.bytes}) + "/" + std::to_string(n.prefix));
  return out;
}

}  // namespace cadenza::net
