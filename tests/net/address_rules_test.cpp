// AddressRules: the allow-list parser and the refusal of every internal address class, by text and by
// sockaddr, IPv4 and IPv6, including IPv6 forms that embed an IPv4 address.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "cadenza/net/address_rules.hpp"
#include "support/error_kind.hpp"

using namespace cadenza;
using cadenza::net::AddressRules;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("parse: good allow lists") {
  CHECK(AddressRules().empty());
  CHECK(AddressRules::parse("").empty());
  CHECK(AddressRules::parse("  ,  ").empty());
  auto r = AddressRules::parse(" 127.0.0.0/8 ,10.20.0.0/16,192.168.1.20, fd00::/8 ,::1,  2001:db8::/32,");
  CHECK(r.networks() == std::vector<std::string>{"127.0.0.0/8", "10.20.0.0/16", "192.168.1.20/32", "fd00::/8",
                                                 "::1/128", "2001:db8::/32"});
  CHECK(AddressRules::parse("0.0.0.0/0").networks() == std::vector<std::string>{"0.0.0.0/0"});
  CHECK(AddressRules::parse("::/0").networks() == std::vector<std::string>{"::/0"});
}

TEST_CASE("parse: bad entries are rejected, naming the entry and why") {
  struct Case {
    std::string list, entry, why;
  };
  const Case cases[] = {
      {"localhost", "localhost", "not an IPv4 or IPv6 address"},
      {"127.0.0.0/8, 10.0.0", "10.0.0", "not an IPv4 or IPv6 address"},
      {"300.1.2.3", "300.1.2.3", "not an IPv4 or IPv6 address"},
      {"10.0.0.0/33", "10.0.0.0/33", "prefix length over 32"},
      {"fd00::/129", "fd00::/129", "prefix length over 128"},
      {"10.0.0.0/", "10.0.0.0/", "no valid prefix length"},
      {"10.0.0.0/x", "10.0.0.0/x", "no valid prefix length"},
      {"10.0.0.0/-1", "10.0.0.0/-1", "no valid prefix length"},
      {"10.0.0.1/8", "10.0.0.1/8", "did you mean 10.0.0.0/8?"},
      {"fd00::1/8", "fd00::1/8", "did you mean fd00::/8?"},
      {"[::1]", "[::1]", "not an IPv4 or IPv6 address"},
      {"fe80::1%eth0", "fe80::1%eth0", "not an IPv4 or IPv6 address"},
      {"10.0.0.0/8 192.168.0.0/16", "10.0.0.0/8 192.168.0.0/16", "no valid prefix length"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.list);
    Error::Fields fields;
    std::string message;
    CHECK(test::error_kind_of(
              [&] {
                try {
                  AddressRules::parse(c.list);
                } catch (const Error& e) {
                  message = e.what();
                  throw;
                }
              },
              nullptr, &fields) == ErrorKind::BadRequest);
    CHECK_MESSAGE(contains(message, "\"" + c.entry + "\""), message);
    CHECK_MESSAGE(contains(message, c.why), message);
    CHECK(fields.count("net.allow_networks") == 1);
  }
}

TEST_CASE("refusal: every internal address class, with its reason") {
  const AddressRules none;
  struct Case {
    std::string ip, why;
  };
  const Case refused[] = {
      {"127.0.0.1", "127.0.0.1 is a loopback address"},
      {"127.255.255.254", "loopback"},
      {"::1", "::1 is a loopback address"},
      {"10.1.2.3", "10.1.2.3 is a private address"},
      {"172.16.0.1", "172.16.0.1 is a private address"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "192.168.1.1 is a private address"},
      {"100.64.0.1", "shared (carrier-grade NAT)"},
      {"100.127.255.255", "shared"},
      {"169.254.169.254", "169.254.169.254 is a link-local address (the cloud metadata service)"},
      {"169.254.1.1", "link-local"},
      {"0.0.0.0", "0.0.0.0 is an unspecified (\"this network\") address"},
      {"0.1.2.3", "unspecified"},
      {"224.0.0.1", "224.0.0.1 is a multicast address"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.255", "broadcast"},
      {"192.0.0.8", "IETF protocol assignment"},
      {"198.18.0.1", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"::", "unspecified"},
      {"fc00::1", "fc00::1 is a unique-local (private) address"},
      {"fdff:ffff::1", "unique-local"},
      {"fe80::1", "fe80::1 is a link-local address"},
      {"febf::1", "link-local"},
      {"fec0::1", "site-local"},
      {"ff02::1", "multicast"},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1 stands for 127.0.0.1, a loopback address"},
      {"::ffff:10.0.0.1", "stands for 10.0.0.1, a private address"},
      {"::ffff:169.254.169.254", "metadata"},
      {"::127.0.0.1", "stands for 127.0.0.1, a loopback"},
      {"64:ff9b::a00:1", "stands for 10.0.0.1, a private address"},
      {"64:ff9b::7f00:1", "loopback"},
      {"2002:7f00:1::", "stands for 127.0.0.1"},
      {"2002:c0a8:101::1", "stands for 192.168.1.1"},
      {"::ffff:0:7f00:1", "stands for 127.0.0.1"},
      {"[::1]", "loopback"},
      {"not-an-ip", "\"not-an-ip\" is not an IP address"},
      {"", "is not an IP address"},
  };
  for (const auto& c : refused) {
    CAPTURE(c.ip);
    auto why = none.refusal(std::string_view(c.ip));
    REQUIRE(why.has_value());
    CHECK_MESSAGE(contains(*why, c.why), *why);
  }
  for (std::string ip : {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
                         "198.17.255.255", "198.20.0.1", "223.255.255.255", "192.0.1.1", "11.0.0.1", "169.253.1.1",
                         "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
                         "2002:808:808::1", "fbff::1", "fe7f::1"}) {
    CAPTURE(ip);
    auto why = none.refusal(std::string_view(ip));
    CHECK_MESSAGE(!why.has_value(), why.value_or(""));
  }
}

TEST_CASE("refusal: an allow list lets in exactly its networks") {
  auto loopback = AddressRules::parse("127.0.0.0/8");
  CHECK_FALSE(loopback.refusal("127.0.0.1").has_value());
  CHECK_FALSE(loopback.refusal("127.9.9.9").has_value());
  CHECK_FALSE(loopback.refusal("::ffff:127.0.0.1").has_value());  // the same address, IPv4-mapped
  CHECK(loopback.refusal("10.0.0.1").value_or("").find("private") != std::string::npos);
  CHECK(loopback.refusal("::1").value_or("").find("loopback") != std::string::npos);
  CHECK_FALSE(loopback.refusal("8.8.8.8").has_value());

  auto lan = AddressRules::parse("192.168.1.0/24, fd12:3456::/32, ::1");
  CHECK_FALSE(lan.refusal("192.168.1.77").has_value());
  CHECK(lan.refusal("192.168.2.1").has_value());
  CHECK_FALSE(lan.refusal("fd12:3456::9").has_value());
  CHECK(lan.refusal("fd12:3457::9").has_value());
  CHECK_FALSE(lan.refusal("::1").has_value());
  CHECK(lan.refusal("127.0.0.1").has_value());

  auto odd = AddressRules::parse("172.16.0.0/13");  // a prefix that does not end on a byte
  CHECK_FALSE(odd.refusal("172.23.255.255").has_value());
  CHECK(odd.refusal("172.24.0.1").has_value());
}

TEST_CASE("refusal: from a sockaddr, as the connect callback sees it") {
  const AddressRules none;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
  auto why = none.refusal(reinterpret_cast<const sockaddr*>(&in));
  REQUIRE(why.has_value());
  CHECK(*why == "169.254.169.254 is a link-local address (the cloud metadata service)");
  inet_pton(AF_INET, "93.184.215.14", &in.sin_addr);
  CHECK_FALSE(none.refusal(reinterpret_cast<const sockaddr*>(&in)).has_value());

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.168.0.1", &in6.sin6_addr);
  CHECK(none.refusal(reinterpret_cast<const sockaddr*>(&in6)).value_or("").find("private") != std::string::npos);
  inet_pton(AF_INET6, "2606:4700::1111", &in6.sin6_addr);
  CHECK_FALSE(none.refusal(reinterpret_cast<const sockaddr*>(&in6)).has_value());

  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK(none.refusal(&other).value_or("").find("not an internet address") != std::string::npos);
  CHECK(none.refusal(static_cast<const sockaddr*>(nullptr)).has_value());
}
