#include <doctest/doctest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>

#include "cadenza/config/config.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

using namespace cadenza;
using cadenza::config::LoadOptions;

namespace {

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& text)
      : path(std::filesystem::temp_directory_path() / ("cadenza-config-" + new_uuid() + ".toml")) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

LoadOptions from_file(const std::filesystem::path& p) {
  LoadOptions o;
  o.config_path = p.string();
  return o;
}

// Runs load() and returns the error it throws (fails the test when it does not throw).
Error load_error(const LoadOptions& o) {
  try {
    config::load(o);
  } catch (const Error& e) {
    return e;
  }
  FAIL("load() did not throw");
  return Error(ErrorKind::Internal, "unreachable");
}

const std::string kShipped = std::string(CADENZA_SOURCE_DIR) + "/config/cadenza.toml";

}  // namespace

TEST_CASE("config/cadenza.toml yields exactly the defaults") {
  auto loaded = config::load(from_file(kShipped));
  CHECK(config::to_toml(loaded) == config::to_toml(config::Config{}));
}

TEST_CASE("config/cadenza.toml names every key with its default, and only known keys") {
  auto doc = toml::parse_file(kShipped);
  std::size_t found = 0;
  for (const auto& key : config::keys()) {
    INFO(key);
    auto dot = key.find('.');
    auto node = doc[key.substr(0, dot)][key.substr(dot + 1)];
    CHECK(node.node() != nullptr);
    if (node.node()) ++found;
  }
  std::size_t in_file = 0;
  for (const auto& [section, node] : doc) in_file += node.as_table() ? node.as_table()->size() : 1;
  CHECK(found == config::keys().size());
  CHECK(in_file == config::keys().size());
}

TEST_CASE("to_toml round-trips through load") {
  config::Config c;
  c.server.port = 9123;
  c.server.host = "0.0.0.0";
  c.server.public_url = "https://music.example.org";
  c.storage.data_dir = "/tmp/some \"quoted\" dir";
  c.log.access_log = false;
  c.server.upload_limit = 5LL << 30;
  TempFile f(config::to_toml(c));
  auto back = config::load(from_file(f.path));
  CHECK(back.server.port == 9123);
  CHECK(back.server.host == "0.0.0.0");
  CHECK(back.storage.data_dir == "/tmp/some \"quoted\" dir");
  CHECK(back.log.access_log == false);
  CHECK(back.server.upload_limit == (5LL << 30));
  CHECK(config::to_toml(back) == config::to_toml(c));
}

TEST_CASE("precedence: defaults < file < environment < flags") {
  TempFile f("[server]\nport = 9001\nio_threads = 3\nhost = \"10.0.0.1\"\n[jobs]\nbatch_workers = 5\n");
  auto o = from_file(f.path);
  o.env = {{"CADENZA_SERVER_PORT", "9002"}, {"CADENZA_SERVER_IO_THREADS", "4"}, {"PATH", "/usr/bin"},
           {"CADENZA_LOG_ACCESS_LOG", "off"}};
  o.flags = {{"server.port", "9003"}};
  auto c = config::load(o);
  CHECK(c.server.port == 9003);           // flag beats env and file
  CHECK(c.server.io_threads == 4);        // env beats file
  CHECK(c.server.host == "10.0.0.1");     // file beats default
  CHECK(c.jobs.batch.workers == 5);       // file
  CHECK(c.log.access_log == false);       // env bool
  CHECK(c.jobs.max_attempts == 3);        // default
  CHECK(c.storage.data_dir == "./data");  // default
}

TEST_CASE("a later flag wins over an earlier one") {
  LoadOptions o;
  o.config_path = kShipped;
  o.flags = {{"storage.data_dir", "/a"}, {"storage.data_dir", "/b"}};
  CHECK(config::load(o).storage.data_dir == "/b");
}

TEST_CASE("unknown key in the file names the key") {
  TempFile f("[server]\nport = 9001\nprot = 9002\n");
  auto e = load_error(from_file(f.path));
  CHECK(e.kind() == ErrorKind::BadRequest);
  CHECK(std::string(e.what()).find("server.prot") != std::string::npos);
  CHECK(e.fields().count("server.prot") == 1);

  TempFile g("[serverx]\nport = 1\n");
  CHECK(std::string(load_error(from_file(g.path)).what()).find("serverx.port") != std::string::npos);

  TempFile h("top_level = 1\n");
  CHECK(load_error(from_file(h.path)).fields().count("top_level") == 1);
}

TEST_CASE("unknown CADENZA_* environment variable names it") {
  LoadOptions o;
  o.config_path = kShipped;
  o.env = {{"CADENZA_SERVER_PROT", "1"}};
  auto e = load_error(o);
  CHECK(e.kind() == ErrorKind::BadRequest);
  CHECK(std::string(e.what()).find("CADENZA_SERVER_PROT") != std::string::npos);
  CHECK(e.fields().count("CADENZA_SERVER_PROT") == 1);
}

TEST_CASE("unknown flag key names it") {
  LoadOptions o;
  o.config_path = kShipped;
  o.flags = {{"server.nope", "1"}};
  CHECK(load_error(o).fields().count("server.nope") == 1);
}

TEST_CASE("wrong type names the key") {
  TempFile f("[server]\nport = \"8080\"\n");
  auto e = load_error(from_file(f.path));
  CHECK(std::string(e.what()) == "config: server.port: must be an integer (in " + f.path.string() + ")");
  CHECK(e.fields().at("server.port") == "must be an integer");

  TempFile g("[log]\naccess_log = 1\n");
  CHECK(load_error(from_file(g.path)).fields().at("log.access_log") == "must be true or false");

  TempFile h("[storage]\ndata_dir = 5\n");
  CHECK(load_error(from_file(h.path)).fields().at("storage.data_dir") == "must be a string");

  TempFile i("[server]\nport = 80.5\n");
  CHECK(load_error(from_file(i.path)).fields().count("server.port") == 1);

  LoadOptions o;
  o.config_path = kShipped;
  o.env = {{"CADENZA_JOBS_BATCH_WORKERS", "four"}};
  auto env_error = load_error(o);
  CHECK(env_error.fields().at("jobs.batch_workers") == "must be an integer");
  CHECK(std::string(env_error.what()).find("CADENZA_JOBS_BATCH_WORKERS") != std::string::npos);

  o.env = {{"CADENZA_JOBS_BATCH_WORKERS", "3x"}};
  CHECK(load_error(o).fields().at("jobs.batch_workers") == "must be an integer");
  o.env = {{"CADENZA_LOG_ACCESS_LOG", "maybe"}};
  CHECK(load_error(o).fields().at("log.access_log") == "must be true or false");
}

TEST_CASE("out-of-range values name the key and the range") {
  LoadOptions o;
  o.config_path = kShipped;
  o.flags = {{"server.port", "70000"}};
  auto e = load_error(o);
  CHECK(std::string(e.what()) == "config: server.port: must be 0..65535 (command line)");
  CHECK(e.fields().at("server.port") == "must be 0..65535");

  o.flags = {{"jobs.batch_workers", "0"}};
  CHECK(load_error(o).fields().at("jobs.batch_workers") == "must be 1..256");
  o.flags = {{"server.port", "99999999999999999999999"}};
  CHECK(load_error(o).fields().at("server.port") == "must be 0..65535");

  TempFile f("[storage]\nread_connections = -1\n");
  CHECK(load_error(from_file(f.path)).fields().at("storage.read_connections") == "must be 1..64");

  o.flags = {{"log.level", "loud"}};
  CHECK(load_error(o).fields().count("log.level") == 1);
  o.flags = {{"storage.data_dir", ""}};
  CHECK(load_error(o).fields().count("storage.data_dir") == 1);
  o.flags = {{"server.public_url", "ftp://x"}};
  CHECK(load_error(o).fields().count("server.public_url") == 1);
}

TEST_CASE("malformed file and missing file are errors") {
  TempFile f("[server\nport = 1\n");
  auto e = load_error(from_file(f.path));
  CHECK(e.kind() == ErrorKind::BadRequest);
  CHECK(std::string(e.what()).find(f.path.string()) != std::string::npos);
  CHECK(load_error(from_file("/nonexistent/cadenza.toml")).kind() == ErrorKind::BadRequest);
}

TEST_CASE("environment names and current_environment") {
  CHECK(config::env_name("server.port") == "CADENZA_SERVER_PORT");
  CHECK(config::env_name("storage.data_dir") == "CADENZA_STORAGE_DATA_DIR");
  ::setenv("CADENZA_TEST_PROBE", "x", 1);
  auto env = config::current_environment();
  ::unsetenv("CADENZA_TEST_PROBE");
  CHECK(env.at("CADENZA_TEST_PROBE") == "x");
  CHECK(env.count("PATH") == 0);
}

TEST_CASE("rate limit, cache and CORS keys: defaults, ranges and origin lists") {
  config::Config d;
  CHECK(d.ratelimit.read_per_s == 50);
  CHECK(d.ratelimit.read_burst == 100);
  CHECK(d.ratelimit.write_per_s == 10);
  CHECK(d.ratelimit.write_burst == 20);
  CHECK(d.cache.ttl_s == 300);
  CHECK(d.cache.max_entries == 10000);
  CHECK(d.cors.allowed_origins.empty());

  LoadOptions o;
  o.config_path = kShipped;
  o.flags = {{"ratelimit.read_burst", "0"}, {"cache.ttl_s", "0"},
             {"cors.allowed_origins", "https://a.example.org, http://localhost:5173"}};
  auto c = config::load(o);
  CHECK(c.ratelimit.read_burst == 0);
  CHECK(c.cache.ttl_s == 0);
  CHECK(c.cors.allowed_origins == "https://a.example.org, http://localhost:5173");
  o.flags = {{"cors.allowed_origins", "*"}};
  CHECK(config::load(o).cors.allowed_origins == "*");
  o.env = {{"CADENZA_RATELIMIT_WRITE_PER_S", "3"}};
  o.flags = {};
  CHECK(config::load(o).ratelimit.write_per_s == 3);
  o.env = {};

  for (const char* bad : {"example.org", "https://a.example.org,,https://b.example.org", "https://a.example.org,",
                          "ftp://x", " , "}) {
    INFO(bad);
    o.flags = {{"cors.allowed_origins", bad}};
    CHECK(load_error(o).fields().count("cors.allowed_origins") == 1);
  }
  o.flags = {{"ratelimit.write_per_s", "-1"}};
  CHECK(load_error(o).fields().at("ratelimit.write_per_s") == "must be 0..1000000");
  o.flags = {{"cache.max_entries", "0"}};
  CHECK(load_error(o).fields().count("cache.max_entries") == 1);
}
