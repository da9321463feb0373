#pragma once
// The one Config struct. Layers, lowest first: built-in defaults < config file (TOML) < CADENZA_* environment
// < command-line flags. Every key is described once, in a single table (src/config/keys.cpp) that all
// layers, validation and to_toml() use; config/cadenza.toml documents every key with its default.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cadenza::config {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  std::int64_t body_limit = 1 << 20;  // JSON bodies
  std::int64_t upload_limit = 256LL << 20;
  std::int64_t header_limit = 16 << 10;
  std::int64_t target_limit = 8 << 10;  // request target (path + query); longer: 414
  int read_timeout_s = 30;
  int idle_timeout_s = 75;
  int shutdown_grace_s = 20;
  std::string web_dir = "";
  std::string public_url = "";
};

struct AuthConfig {
  int token_ttl_s = 86400;
};

// One lane of job workers (jobs::Lane): its own threads, queue and per-account cap, so work of one class
// never waits behind another's.
struct LaneConfig {
  int workers = 1;
  int queue_capacity = 100;
  int max_queued_per_account = 10;
  // Intra-op threads each of its jobs may use in the nets (ml::IntraOpThreads); 0 = the cores divided
  // by the lane's workers, at least 1.
  int threads_per_job = 0;
  // Added to the process's niceness for the workers (Linux, 0..19; threads and programs a job starts inherit
  // it): batch and training work yield the cores to the HTTP threads and the interactive lane, so answers
  // stay quick under load.
  int nice = 0;
};

struct JobsConfig {
  LaneConfig interactive{2, 100, 10, 0, 0};  // generation streams: someone is listening
  LaneConfig batch{2, 1000, 100, 0, 5};      // conversions and other work a user waits minutes for
  LaneConfig training{1, 20, 2, 0, 10};      // model training: long, never in the way of the others
  int max_attempts = 3;
  int progress_events_per_s = 10;  // per job; more frequent reports are coalesced (latest wins)
};

struct StorageConfig {
  std::string data_dir = "./data";
  int busy_timeout_ms = 5000;
  int read_connections = 4;
  int signed_url_ttl_s = 3600;
};

struct WsConfig {
  int send_queue_limit = 256;
  int ping_interval_s = 30;
  int resume_window_s = 600;
};

// Token buckets per credential (read: GET/HEAD, write: the rest) and per client address for public
// writes (sign-up, log-in). 0 = unlimited.
struct RateLimitConfig {
  int read_per_s = 50;
  int read_burst = 100;
  int write_per_s = 10;
  int write_burst = 20;
  int auth_failures_per_min = 30;
  int auth_failure_burst = 20;
};

// In-process cache of GET responses under /api/profiles/{id} and of authenticated principals.
struct CacheConfig {
  int ttl_s = 300;  // 0 = off
  int max_entries = 10000;
};

struct CorsConfig {
  std::string allowed_origins = "";  // comma-separated origins or "*"; "" = CORS off
};

struct LogConfig {
  std::string level = "info";
  bool access_log = true;
};

// Outbound HTTP (audio_url fetches, webhook deliveries): loopback, private, link-local, multicast and
// unspecified addresses are refused unless a network is listed here.
struct NetConfig {
  std::string allow_networks = "";  // comma-separated CIDRs, e.g. "10.0.0.0/8,127.0.0.1/32"
};

struct ConvertConfig {
  int max_duration_s = 1200;                  // longer audio: 422 before any heavy work
  std::int64_t fetch_max_bytes = 200LL << 20;  // audio_url and youtube_link downloads
  int fetch_timeout_s = 120;
  int max_redirects = 5;
  int max_running_per_account = 2;  // conversions queued or running per account (more: 429)
  std::string ytdlp_path = "yt-dlp";  // "" = youtube_link refused
  bool render_audio = true;           // the FluidSynth rendering of each arrangement (audioUrl)
  std::string pdf_engine = "auto";    // auto | musescore | lilypond (auto: MuseScore 3 when installed)
};

struct WebhookConfig {
  int timeout_s = 10;     // a delivery must answer 2xx within this
  int max_attempts = 8;   // then the delivery is marked failed
  int backoff_s = 30;     // first retry after about this, doubling each time (with jitter)
};

// The recommendation pillar's data.
struct RecommendConfig {
  int listen_ttl_days = 90;  // listens older than this are purged (at start, then hourly)
  int ease_lambda = 60;      // the collaborative model's L2 weight (EASE's lambda) per unit of mean squared input
  int train_interval_h = 24;  // a tenant with listens newer than its model is trained this often; 0 = never
};

// The server's music library (cadenza import library, POST /api/admin/library/scan).
struct LibraryConfig {
  std::string root = "";  // the folder scans may read (and everything under it); "" = the scan route answers 409
  int transcribe_s = 30;  // seconds of each file the transcriber hears for its mode; 0 = the mode from the chroma
};

// The generation pillar.
struct GenerateConfig {
  std::string model = "transformer";  // what samples the streams: transformer | markov
  std::string transformer_weights;    // "" = models/generator.bin (bundled); else a train_generator job's file
  std::string nottingham_dir = "../shared/datasets/nottingham/MIDI";  // the corpus train_generator jobs read
  std::string jsb_json = "../shared/datasets/jsb-chorales/jsb-chorales-16th.json";
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  JobsConfig jobs;
  StorageConfig storage;
  WsConfig ws;
  RateLimitConfig ratelimit;
  CacheConfig cache;
  CorsConfig cors;
  LogConfig log;
  NetConfig net;
  ConvertConfig convert;
  WebhookConfig webhooks;
  RecommendConfig recommend;
  LibraryConfig library;
  GenerateConfig generate;
};

struct LoadOptions {
  // --config; if unset, ./config/cadenza.toml is read when it exists.
  std::optional<std::string> config_path;
  // Dotted key -> value from CLI flags, e.g. {"server.port", "9000"}; applied in order.
  std::vector<std::pair<std::string, std::string>> flags;
  // The environment (tests pass their own); use current_environment() for the real one.
  std::map<std::string, std::string> env;
};

// All CADENZA_* variables of this process.
std::map<std::string, std::string> current_environment();

// Builds the effective configuration. Throws cadenza::Error(BadRequest) naming the key on an unknown key
// (file, environment or flag), a value of the wrong type or out of range, an unreadable or malformed file:
// e.g. Error(BadRequest, "config: server.port: must be 1..65535", {{"server.port", "must be 1..65535"}}).
Config load(const LoadOptions& options);

// All keys with their effective values as a TOML document (what `cadenza serve --print-config` prints).
std::string to_toml(const Config& config);

// The environment variable name for a dotted key: "server.port" -> "CADENZA_SERVER_PORT".
std::string env_name(const std::string& dotted_key);

// Every dotted key, in table order (for help texts and flag registration).
std::vector<std::string> keys();

}  // namespace cadenza::config
