#include "keys.hpp"

#include <algorithm>

namespace cadenza::config::detail {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kDay = 86400;

std::string not_empty(const std::string& v) { return v.empty() ? "must not be empty" : ""; }

std::string log_level(const std::string& v) {
  for (const char* l : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (v == l) return "";
  }
  return "must be one of trace, debug, info, warn, error, off";
}

std::string pdf_engine(const std::string& v) {
  if (v == "auto" || v == "musescore" || v == "lilypond") return "";
  return "must be auto, musescore or lilypond";
}

std::string generator_model(const std::string& v) {
  if (v == "transformer" || v == "markov") return "";
  return "must be transformer or markov";
}

std::string url_or_empty(const std::string& v) {
  if (v.empty() || v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0) return "";
  return "must be empty or start with http:// or https://";
}

// "" (CORS off), or a comma-separated list whose entries are each "*" or an http(s):// origin.
std::string origin_list(const std::string& v) {
  if (v.empty()) return "";
  std::size_t i = 0;
  for (;;) {
    auto j = std::min(v.find(',', i), v.size());
    auto item = v.substr(i, j - i);
    auto b = item.find_first_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, item.find_last_not_of(" \t") - b + 1);
    if (item.empty()) return "must be \"*\" or comma-separated origins, without empty entries";
    if (item != "*" && item.rfind("http://", 0) != 0 && item.rfind("https://", 0) != 0)
      return "each origin must be \"*\" or start with http:// or https:// (not \"" + item + "\")";
    if (j == v.size()) return "";
    i = j + 1;
  }
}

// clang-format off
const Key kKeys[] = {
  {"server.host", [](Config& c) -> Field { return &c.server.host; }, 0, 0,
   "Address to listen on (\"0.0.0.0\" for all interfaces).", not_empty},
  {"server.port", [](Config& c) -> Field { return &c.server.port; }, 0, 65535,
   "TCP port to listen on (0 = any free port)."},
  {"server.io_threads", [](Config& c) -> Field { return &c.server.io_threads; }, 1, 256,
   "Threads running the network event loop."},
  {"server.body_limit", [](Config& c) -> Field { return &c.server.body_limit; }, 1 * kKiB, 1 * kGiB,
   "Largest JSON request body in bytes (larger: 413)."},
  {"server.upload_limit", [](Config& c) -> Field { return &c.server.upload_limit; }, 1 * kKiB, 64 * kGiB,
   "Largest file upload in bytes (larger: 413)."},
  {"server.header_limit", [](Config& c) -> Field { return &c.server.header_limit; }, 1 * kKiB, 1 * kMiB,
   "Largest request header block in bytes."},
  {"server.target_limit", [](Config& c) -> Field { return &c.server.target_limit; }, 256, 1 * kMiB,
   "Longest request target (path and query) in bytes (longer: 414)."},
  {"server.read_timeout_s", [](Config& c) -> Field { return &c.server.read_timeout_s; }, 1, 3600,
   "Seconds allowed to receive one request; for an upload, to receive each piece of its body."},
  {"server.idle_timeout_s", [](Config& c) -> Field { return &c.server.idle_timeout_s; }, 1, kDay,
   "Seconds an idle keep-alive connection stays open."},
  {"server.shutdown_grace_s", [](Config& c) -> Field { return &c.server.shutdown_grace_s; }, 0, 3600,
   "Seconds given to in-flight requests and jobs on shutdown."},
  {"server.web_dir", [](Config& c) -> Field { return &c.server.web_dir; }, 0, 0,
   "Serve the web app from this directory instead of the copy built into the binary (\"\" = built-in)."},
  {"server.public_url", [](Config& c) -> Field { return &c.server.public_url; }, 0, 0,
   "Base URL clients use to reach this server, for links in responses (\"\" = derived from the request).",
   url_or_empty},

  {"auth.token_ttl_s", [](Config& c) -> Field { return &c.auth.token_ttl_s; }, 60, 365 * kDay,
   "Lifetime of a login token (JWT) in seconds."},

  {"jobs.interactive_workers", [](Config& c) -> Field { return &c.jobs.interactive.workers; }, 1, 256,
   "Worker threads of the interactive lane (generation streams)."},
  {"jobs.interactive_queue_capacity", [](Config& c) -> Field { return &c.jobs.interactive.queue_capacity; }, 1, 1000000,
   "Most jobs waiting in the interactive lane (more: 503)."},
  {"jobs.interactive_max_queued_per_account", [](Config& c) -> Field { return &c.jobs.interactive.max_queued_per_account; }, 1,
   1000000, "Most queued jobs per account in the interactive lane (more: 429)."},
  {"jobs.interactive_threads_per_job", [](Config& c) -> Field { return &c.jobs.interactive.threads_per_job; }, 0, 256,
   "Threads each interactive job may use in the nets (0 = cores / interactive_workers, at least 1)."},
  {"jobs.interactive_nice", [](Config& c) -> Field { return &c.jobs.interactive.nice; }, 0, 19,
   "Niceness of the interactive lane's workers and what they start (Linux; higher yields the cores to HTTP answers)."},
  {"jobs.batch_workers", [](Config& c) -> Field { return &c.jobs.batch.workers; }, 1, 256,
   "Worker threads of the batch lane (conversions, imports, demo jobs)."},
  {"jobs.batch_queue_capacity", [](Config& c) -> Field { return &c.jobs.batch.queue_capacity; }, 1, 1000000,
   "Most jobs waiting in the batch lane (more: 503)."},
  {"jobs.batch_max_queued_per_account", [](Config& c) -> Field { return &c.jobs.batch.max_queued_per_account; }, 1,
   1000000, "Most queued jobs per account in the batch lane (more: 429)."},
  {"jobs.batch_threads_per_job", [](Config& c) -> Field { return &c.jobs.batch.threads_per_job; }, 0, 256,
   "Threads each batch job may use in the nets (0 = cores / batch_workers, at least 1)."},
  {"jobs.batch_nice", [](Config& c) -> Field { return &c.jobs.batch.nice; }, 0, 19,
   "Niceness of the batch lane's workers and what they start (Linux; higher yields the cores to HTTP answers)."},
  {"jobs.training_workers", [](Config& c) -> Field { return &c.jobs.training.workers; }, 1, 256,
   "Worker threads of the training lane (model training)."},
  {"jobs.training_queue_capacity", [](Config& c) -> Field { return &c.jobs.training.queue_capacity; }, 1, 1000000,
   "Most jobs waiting in the training lane (more: 503)."},
  {"jobs.training_max_queued_per_account", [](Config& c) -> Field { return &c.jobs.training.max_queued_per_account; }, 1,
   1000000, "Most queued jobs per account in the training lane (more: 429)."},
  {"jobs.training_threads_per_job", [](Config& c) -> Field { return &c.jobs.training.threads_per_job; }, 0, 256,
   "Threads each training job may use in the nets (0 = cores / training_workers, at least 1)."},
  {"jobs.training_nice", [](Config& c) -> Field { return &c.jobs.training.nice; }, 0, 19,
   "Niceness of the training lane's workers and what they start (Linux; higher yields the cores to HTTP answers)."},
  {"jobs.max_attempts", [](Config& c) -> Field { return &c.jobs.max_attempts; }, 1, 100,
   "Times a job is started before it is marked failed (interrupted jobs are retried)."},
  {"jobs.progress_events_per_s", [](Config& c) -> Field { return &c.jobs.progress_events_per_s; }, 1, 1000,
   "Progress events a job sends at most per second; reports in between are coalesced (the latest wins, state events never)."},

  {"storage.data_dir", [](Config& c) -> Field { return &c.storage.data_dir; }, 0, 0,
   "Directory for databases, uploaded and produced files and secrets.", not_empty},
  {"storage.busy_timeout_ms", [](Config& c) -> Field { return &c.storage.busy_timeout_ms; }, 0, 600000,
   "Milliseconds SQLite waits for a lock before giving up."},
  {"storage.read_connections", [](Config& c) -> Field { return &c.storage.read_connections; }, 1, 64,
   "Reader connections per database file (there is always exactly one writer)."},
  {"storage.signed_url_ttl_s", [](Config& c) -> Field { return &c.storage.signed_url_ttl_s; }, 1, 7 * kDay,
   "Seconds a signed download URL stays valid."},

  {"ws.send_queue_limit", [](Config& c) -> Field { return &c.ws.send_queue_limit; }, 1, 65536,
   "Messages queued for one WebSocket client before it is disconnected as too slow."},
  {"ws.ping_interval_s", [](Config& c) -> Field { return &c.ws.ping_interval_s; }, 1, 3600,
   "Seconds between WebSocket pings."},
  {"ws.resume_window_s", [](Config& c) -> Field { return &c.ws.resume_window_s; }, 0, 86400,
   "Seconds after a WebSocket closes in which a client reconnecting with ?socketId= of it is sent the "
   "messageFromServer it missed (0 = never)."},

  {"ratelimit.read_per_s", [](Config& c) -> Field { return &c.ratelimit.read_per_s; }, 0, 1000000,
   "Read requests (GET/HEAD) per second per credential, refilled continuously (0 = unlimited)."},
  {"ratelimit.read_burst", [](Config& c) -> Field { return &c.ratelimit.read_burst; }, 0, 1000000,
   "Read requests a credential may make at once before the per-second rate applies (0 = unlimited)."},
  {"ratelimit.write_per_s", [](Config& c) -> Field { return &c.ratelimit.write_per_s; }, 0, 1000000,
   "Write requests per second per credential, and sign-ups/log-ins per client address (0 = unlimited)."},
  {"ratelimit.write_burst", [](Config& c) -> Field { return &c.ratelimit.write_burst; }, 0, 1000000,
   "Write requests allowed at once before the per-second rate applies (0 = unlimited)."},
  {"ratelimit.auth_failures_per_min", [](Config& c) -> Field { return &c.ratelimit.auth_failures_per_min; }, 0,
   1000000,
   "Failed authentications (wrong password, unknown or expired token or API key) per minute per client address; "
   "past them every authenticated request from that address is 429 (0 = unlimited)."},
  {"ratelimit.auth_failure_burst", [](Config& c) -> Field { return &c.ratelimit.auth_failure_burst; }, 0, 1000000,
   "Failed authentications a client address may make at once before the per-minute rate applies (0 = unlimited)."},

  {"cache.ttl_s", [](Config& c) -> Field { return &c.cache.ttl_s; }, 0, kDay,
   "Seconds a cached profile-area GET response or authenticated credential stays valid (0 = no cache)."},
  {"cache.max_entries", [](Config& c) -> Field { return &c.cache.max_entries; }, 1, 10000000,
   "Most responses (and, separately, credentials) kept in the in-process cache."},

  {"cors.allowed_origins", [](Config& c) -> Field { return &c.cors.allowed_origins; }, 0, 0,
   "Browser origins allowed to call the API: comma-separated (\"https://app.example.org\"), \"*\", or \"\" = CORS off.",
   origin_list},

  {"log.level", [](Config& c) -> Field { return &c.log.level; }, 0, 0,
   "Log level: trace, debug, info, warn, error or off.", log_level},
  {"log.access_log", [](Config& c) -> Field { return &c.log.access_log; }, 0, 0,
   "Log one line per HTTP request."},

  {"net.allow_networks", [](Config& c) -> Field { return &c.net.allow_networks; }, 0, 0,
   "Networks (comma-separated CIDRs) that audio_url fetches and webhooks may reach although they are loopback, "
   "private, link-local, multicast or unspecified (\"\" = none: only public addresses)."},

  {"convert.max_duration_s", [](Config& c) -> Field { return &c.convert.max_duration_s; }, 1, 24 * 3600,
   "Longest audio a conversion accepts, in seconds (longer: refused with 422 before transcription)."},
  {"convert.fetch_max_bytes", [](Config& c) -> Field { return &c.convert.fetch_max_bytes; }, 1 * kKiB, 64 * kGiB,
   "Largest download of an audio_url or youtube_link, in bytes."},
  {"convert.fetch_timeout_s", [](Config& c) -> Field { return &c.convert.fetch_timeout_s; }, 1, 3600,
   "Seconds an audio_url or youtube_link download may take."},
  {"convert.max_redirects", [](Config& c) -> Field { return &c.convert.max_redirects; }, 0, 20,
   "Redirects an audio_url download follows (each one checked against the address rules)."},
  {"convert.max_running_per_account", [](Config& c) -> Field { return &c.convert.max_running_per_account; }, 1, 1000,
   "Conversions an account may have queued or running at once (more: 429)."},
  {"convert.ytdlp_path", [](Config& c) -> Field { return &c.convert.ytdlp_path; }, 0, 0,
   "The yt-dlp program that fetches a youtube_link (a name on PATH or a path; \"\" = youtube_link refused)."},
  {"convert.render_audio", [](Config& c) -> Field { return &c.convert.render_audio; }, 0, 0,
   "Render each arrangement to Ogg/Opus with FluidSynth (the output's audioUrl)."},
  {"convert.pdf_engine", [](Config& c) -> Field { return &c.convert.pdf_engine; }, 0, 0,
   "What renders each score's PDF: musescore (MuseScore 3, ~4x faster), lilypond, or auto (MuseScore when "
   "mscore3 is on PATH, else LilyPond).", pdf_engine},

  {"webhooks.timeout_s", [](Config& c) -> Field { return &c.webhooks.timeout_s; }, 1, 300,
   "Seconds a webhook receiver has to answer 2xx."},
  {"webhooks.max_attempts", [](Config& c) -> Field { return &c.webhooks.max_attempts; }, 1, 100,
   "Attempts per webhook delivery before it is marked failed."},
  {"webhooks.backoff_s", [](Config& c) -> Field { return &c.webhooks.backoff_s; }, 1, 86400,
   "Seconds before the first retry of a webhook delivery; each later one waits about twice as long (with jitter)."},

  {"recommend.listen_ttl_days", [](Config& c) -> Field { return &c.recommend.listen_ttl_days; }, 1, 3650,
   "Days a listen is kept in a profile's listening history; older ones are purged at start and then hourly."},
  {"recommend.ease_lambda", [](Config& c) -> Field { return &c.recommend.ease_lambda; }, 1, 100000,
   "L2 weight (lambda) of the collaborative model (EASE) that POST /api/admin/models/train fits, relative to the mean "
   "squared input weight; larger is smoother."},
  {"recommend.train_interval_h", [](Config& c) -> Field { return &c.recommend.train_interval_h; }, 0, 8760,
   "Hours between scheduled trainings: a tenant whose listens are newer than its model is trained again (0: only on request)."},

  {"library.root", [](Config& c) -> Field { return &c.library.root; }, 0, 0,
   "The music library's folder: POST /api/admin/library/scan reads folders inside it only (\"\" = the route answers 409)."},
  {"library.transcribe_s", [](Config& c) -> Field { return &c.library.transcribe_s; }, 0, 600,
   "Seconds from the start of each library file that the transcriber hears to find its mode (major/minor); 0 = from the chroma alone (faster)."},

  {"generate.model", [](Config& c) -> Field { return &c.generate.model; }, 0, 0,
   "What samples the generation streams: transformer (the compound-token transformer, models/generator.bin) or "
   "markov (the order-4 n-gram embedded in the binary).", generator_model},
  {"generate.transformer_weights", [](Config& c) -> Field { return &c.generate.transformer_weights; }, 0, 0,
   "The transformer's weights file (\"\" = the bundled models/generator.bin; a train_generator job prints the path of "
   "the file it wrote)."},
  {"generate.nottingham_dir", [](Config& c) -> Field { return &c.generate.nottingham_dir; }, 0, 0,
   "The Nottingham MIDI folder train_generator jobs read (the server reads no data set otherwise)."},
  {"generate.jsb_json", [](Config& c) -> Field { return &c.generate.jsb_json; }, 0, 0,
   "The JSB chorales JSON train_generator jobs read."},
};
// clang-format on

}  // namespace

std::span<const Key> key_table() { return kKeys; }

const Key* find_key(std::string_view dotted) {
  for (const auto& k : kKeys) {
    if (k.name == dotted) return &k;
  }
  return nullptr;
}

}  // namespace cadenza::config::detail
