// cadenza import tracks FILE.csv: a catalogue with features (recommend/track_import.hpp) into a tenant's tracks.
// cadenza import library DIR: a folder of audio files (pipeline/library_import.hpp) into a tenant's tracks.
// cadenza import listens FILE --profile EMAIL_OR_ID: a listening history (recommend/listen_import.hpp) into a
// profile's listens.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/file_modes.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/pipeline/library_import.hpp"
#include "cadenza/recommend/listen_import.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/recommend/track_import.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"

namespace cadenza::cli {
namespace {

constexpr std::size_t kRejectionsShown = 20;

struct ImportTracksArgs {
  ConfigFlags flags;
  std::string file, tenant, audio_root;
  std::size_t show = 0;
};

void print_track(const store::Track& t) {
  std::string genres;
  for (const auto& g : t.genres) genres += (genres.empty() ? "" : ", ") + g;
  std::printf("  %s - %s%s  [%s]  energy %.2f  tempo %.2f (%s bpm)  valence %.2f  acousticness %.2f  density %.2f%s\n",
              t.artist.c_str(), t.title.c_str(), t.year ? (" (" + std::to_string(*t.year) + ")").c_str() : "",
              genres.c_str(), t.energy, t.tempo, t.bpm ? std::to_string(static_cast<int>(*t.bpm + 0.5)).c_str() : "?",
              t.valence, t.acousticness, t.density, t.audio_path ? "  audio" : "");
}

// --tenant, or the default tenant; Error(NotFound) for one that does not exist.
std::string tenant_or_default(store::ControlStore& control, const std::string& given) {
  std::string tenant = given.empty() ? control.default_tenant().id : given;
  if (!is_uuid(tenant) || !control.find_tenant(tenant)) throw Error(ErrorKind::NotFound, "unknown tenant " + tenant);
  return tenant;
}

void run(const ImportTracksArgs& a) {
  use_private_file_modes();
  auto cfg = a.flags.load();
  store::ControlStore control(cfg.storage);
  const std::string tenant = tenant_or_default(control, a.tenant);
  store::TenantDbs tenants(cfg.storage);
  auto& db = tenants.get(tenant);

  recommend::TrackImportOptions options;
  if (!a.audio_root.empty()) options.audio_root = a.audio_root;
  ProgressBar bar{::isatty(STDERR_FILENO) != 0};
  options.progress = [&bar](double f) { bar.update(f, "importing"); };
  auto report = recommend::import_tracks_csv(db, std::filesystem::path(a.file), options);
  bar.finish();

  std::printf("%s: %zu rows: %zu imported, %zu updated, %zu unchanged, %zu duplicates, %zu rejected; %zu with audio",
              a.file.c_str(), report.rows, report.imported, report.updated, report.unchanged, report.duplicates,
              report.rejected, report.with_audio);
  if (report.audio_missing) std::printf(", %zu audio files not found", report.audio_missing);
  std::printf(" (tenant %s, %lld tracks in all)\n", tenant.c_str(),
              static_cast<long long>(store::track_repo::count(db)));
  for (std::size_t i = 0; i < report.rejections.size() && i < kRejectionsShown; ++i)
    std::printf("  rejected line %zu: %s\n", report.rejections[i].line, report.rejections[i].reason.c_str());
  if (report.rejected > kRejectionsShown) std::printf("  ... and %zu more rejected\n", report.rejected - kRejectionsShown);
  for (std::size_t i = 0; i < a.show && i < report.track_ids.size(); ++i)
    if (auto t = store::track_repo::find(db, report.track_ids[i])) print_track(*t);
}

struct ImportLibraryArgs {
  ConfigFlags flags;
  std::string dir, tenant;
  bool force = false;
  int transcribe_s = -1;  // -1: library.transcribe_s
  int threads = 0;
};

void run_library(const ImportLibraryArgs& a) {
  use_private_file_modes();
  auto cfg = a.flags.load();
  store::ControlStore control(cfg.storage);
  const std::string tenant = tenant_or_default(control, a.tenant);
  store::TenantDbs tenants(cfg.storage);
  auto& db = tenants.get(tenant);

  pipeline::LibraryScanOptions options;
  options.force = a.force;
  options.transcribe_s = a.transcribe_s >= 0 ? a.transcribe_s : cfg.library.transcribe_s;
  std::unique_ptr<transcribe::Transcriber> net;
  if (options.transcribe_s > 0) {
    try {
      transcribe::TranscriberOptions model;
      model.threads = a.threads;
      net = std::make_unique<transcribe::Transcriber>(model);
      options.transcriber = net.get();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "the transcriber does not load (%s): the mode comes from the chroma\n", e.what());
    }
  }
  ProgressBar bar{::isatty(STDERR_FILENO) != 0};
  options.progress = [&bar](double f, std::string_view stage) { bar.update(f, stage); };
  auto r = pipeline::scan_library(db, a.dir, options);
  bar.finish();

  std::printf("%s: %zu audio files: %zu read, %zu added, %zu updated, %zu unchanged, %zu removed, %zu failed; "
              "%zu tracks' features moved (tenant %s, %lld tracks in all)\n",
              a.dir.c_str(), r.files, r.read, r.added, r.updated, r.unchanged, r.removed, r.failed, r.features_changed,
              tenant.c_str(), static_cast<long long>(store::track_repo::count(db)));
  std::printf("read %.1f s of audio in %.1f s (%.2f files/s, %.1f s of audio per second; mode from the %s)\n",
              r.audio_seconds, r.seconds, r.seconds > 0 ? double(r.read) / r.seconds : 0.0,
              r.seconds > 0 ? r.audio_seconds / r.seconds : 0.0, r.mode_from.c_str());
  for (std::size_t i = 0; i < r.failures.size() && i < kRejectionsShown; ++i)
    std::printf("  failed %s: %s\n", r.failures[i].path.c_str(), r.failures[i].reason.c_str());
  if (r.failed > kRejectionsShown) std::printf("  ... and %zu more failed\n", r.failed - kRejectionsShown);
  for (std::size_t i = 0; i < r.removed_paths.size() && i < kRejectionsShown; ++i)
    std::printf("  gone (its track keeps its listens, loses its audio): %s\n", r.removed_paths[i].c_str());
  if (r.removed > kRejectionsShown) std::printf("  ... and %zu more gone\n", r.removed - kRejectionsShown);
}

struct ImportListensArgs {
  ConfigFlags flags;
  std::string file, profile, tenant;
};

void run_listens(const ImportListensArgs& a) {
  use_private_file_modes();
  auto cfg = a.flags.load();
  store::ControlStore control(cfg.storage);
  auto account = is_uuid(a.profile) ? control.find_account(a.profile) : control.find_account_by_login(a.profile);
  if (!account) throw Error(ErrorKind::NotFound, "unknown profile " + a.profile);
  if (!a.tenant.empty() && a.tenant != account->tenant_id)
    throw Error(ErrorKind::BadRequest, "profile " + a.profile + " is not in tenant " + a.tenant);
  store::TenantDbs tenants(cfg.storage);
  auto& db = tenants.get(account->tenant_id);

  recommend::ListenImportOptions options;
  options.not_before = now_ms() - static_cast<std::int64_t>(cfg.recommend.listen_ttl_days) * 86'400'000;
  ProgressBar bar{::isatty(STDERR_FILENO) != 0};
  options.progress = [&bar](double f) { bar.update(f, "importing"); };
  auto r = recommend::import_listens_file(db, account->id, a.file, options);
  bar.finish();

  std::printf("%s (%s): %zu read: %zu matched, %zu unmatched, %zu ignored; %zu stored, %zu duplicates",
              a.file.c_str(), recommend::to_string(r.format), r.read, r.matched, r.unmatched, r.ignored, r.accepted,
              r.duplicates);
  if (r.expired) std::printf(", %zu older than %d days", r.expired, cfg.recommend.listen_ttl_days);
  std::printf(" (profile %s, %lld listens in all)\n", account->id.c_str(),
              static_cast<long long>(store::listen_repo::count(db, account->id)));
  for (const auto& name : r.unmatched_names) std::printf("  not in the catalogue: %s\n", name.c_str());
  if (r.unmatched > r.unmatched_names.size())
    std::printf("  ... and %zu more listens not in the catalogue\n", r.unmatched - r.unmatched_names.size());
}

}  // namespace

void add_import(CLI::App& app, int& exit_code) {
  auto* import = app.add_subcommand("import", "Import into a tenant's music library");
  import->require_subcommand(1);
  auto* tracks = import->add_subcommand(
      "tracks", "Import a catalogue CSV with audio features (e.g. the Spotify top-hits file): columns artist, song, "
                "danceability, energy, speechiness, acousticness, valence, loudness, tempo; optional duration_ms, "
                "year, album, genre, path. Re-running it updates instead of duplicating.");
  auto a = std::make_shared<ImportTracksArgs>();
  a->flags.add_to(tracks, false);
  tracks->add_option("FILE", a->file, "The CSV file")->required();
  tracks->add_option("--tenant", a->tenant, "Tenant id (default: the default tenant)");
  tracks->add_option("--audio-root", a->audio_root,
                     "Folder the path column is relative to (default: the CSV's folder); without a path column, "
                     "'<artist> - <title>.<mp3|m4a|ogg|opus|flac|wav>' there is the track's audio");
  tracks->add_option("--show", a->show, "Print the file's first N tracks with their features");
  tracks->callback([a, &exit_code] {
    run(*a);
    exit_code = 0;
  });

  auto* library = import->add_subcommand(
      "library", "Scan a folder of audio files (recursive; wav, flac, ogg, opus, mp3, aiff, ...) into the tenant's "
                 "tracks: tags with TagLib, features from the audio (EBU R128 loudness, tempo, onset density, "
                 "brightness, mode), mapped to the five dimensions by percentile within the library. A re-scan "
                 "reads only new or changed files; files that vanished are reported and their tracks lose their audio.");
  auto lib = std::make_shared<ImportLibraryArgs>();
  lib->flags.add_to(library, false);
  library->add_option("DIR", lib->dir, "The folder")->required();
  library->add_option("--tenant", lib->tenant, "Tenant id (default: the default tenant)");
  library->add_flag("--force", lib->force, "Read every file again, changed or not");
  library->add_option("--transcribe-seconds", lib->transcribe_s,
                      "Seconds of each file the transcriber hears for the mode; 0: the chroma alone (default: "
                      "library.transcribe_s)")
      ->check(CLI::Range(0, 600));
  library->add_option("--threads", lib->threads, "Threads for the transcriber (default: the cores)");
  library->callback([lib, &exit_code] {
    run_library(*lib);
    exit_code = 0;
  });

  auto* listens = import->add_subcommand(
      "listens", "Import a listening history into a profile: Spotify StreamingHistory*.json or extended "
                 "Streaming_History_Audio_*.json, a ListenBrainz export (JSON lines or array) or a Last.fm scrobble "
                 "CSV (artist,album,title,date); the format is read from the content. Tracks are matched to the "
                 "catalogue by artist and title; re-running it stores nothing twice.");
  auto l = std::make_shared<ImportListensArgs>();
  l->flags.add_to(listens, false);
  listens->add_option("FILE", l->file, "The export file")->required();
  listens->add_option("--profile", l->profile, "The profile: its e-mail, username or id")->required();
  listens->add_option("--tenant", l->tenant, "Tenant id (default: the profile's; must be the profile's)");
  listens->callback([l, &exit_code] {
    run_listens(*l);
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
