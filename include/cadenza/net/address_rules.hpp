#pragma once
// AddressRules: which IP addresses outbound HTTP (audio_url downloads, webhook deliveries) may connect to.
// Refused unless inside an allowed network (net.allow_networks):
//   IPv4  0.0.0.0/8 unspecified ("this network"), 127.0.0.0/8 loopback, 10/8 172.16/12 192.168/16 private,
//         100.64/10 shared (carrier-grade NAT), 169.254/16 link-local (cloud metadata 169.254.169.254),
//         192.0.0.0/24 IETF protocol assignments, 198.18/15 benchmarking, 224/4 multicast,
//         240/4 reserved and 255.255.255.255 broadcast;
//   IPv6  :: unspecified, ::1 loopback, fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local,
//         ff00::/8 multicast, 64:ff9b:1::/48 local-use NAT64; addresses that embed an IPv4 address are judged
//         by it: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::.
// Everything else is public and allowed. An allowed network matches the address itself or its embedded
// IPv4 address (an allow of 127.0.0.0/8 also admits ::ffff:127.0.0.1).
// The rule is meant to be applied to the address a socket is about to connect to (see http_client.hpp),
// never to a separate DNS lookup, so DNS rebinding has no window.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace cadenza::net {

class AddressRules {
 public:
  // Nothing beyond the public internet is allowed.
  AddressRules() = default;

  // Comma-separated CIDRs, IPv4 or IPv6 ("127.0.0.0/8, fd00::/8, 192.168.1.20"); a bare address is /32 or
  // /128; spaces around entries and empty entries are ignored. A bad entry (not an address, a prefix out
  // of range, host bits set) throws Error(BadRequest) naming the entry and why, under the field
  // "net.allow_networks".
  static AddressRules parse(std::string_view allow_networks);

  // nullopt when a connection to `addr` (AF_INET or AF_INET6) is allowed; otherwise why not, e.g.
  // "127.0.0.1 is a loopback address". Other families and a null pointer are refused.
  std::optional<std::string> refusal(const sockaddr* addr) const;
  // The same for an address in text ("10.1.2.3", "::1", "[fe80::1]"); text that is no IP address is refused.
  std::optional<std::string> refusal(std::string_view ip) const;

  // The allowed networks in canonical form ("127.0.0.0/8"), for logs.
  std::vector<std::string> networks() const;
  bool empty() const { return allowed_.empty(); }

  // One network: IPv4 in the first 4 bytes of `bytes` (v6 = false), or 16 bytes of IPv6.
  struct Network {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };

 private:
  std::vector<Network> allowed_;
};

}  // namespace cadenza::net
