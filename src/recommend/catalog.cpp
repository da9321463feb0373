#include "cadenza/recommend/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cadenza/core/error.hpp"

namespace cadenza::recommend {
namespace {

std::string genre_key(std::string_view name) {
  auto first = name.find_first_not_of(" \t\r\n"), last = name.find_last_not_of(" \t\r\n");
  std::string out;
  if (first == std::string_view::npos) return out;
  for (char c : name.substr(first, last - first + 1))
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

}  // namespace

void Catalog::add(const store::Track& t) {
  features_.push_back({static_cast<float>(t.energy), static_cast<float>(t.tempo), static_cast<float>(t.valence),
                       static_cast<float>(t.acousticness), static_cast<float>(t.density)});
  duration_ms_.push_back(t.duration_ms);
  bpm_.push_back(t.bpm ? static_cast<float>(*t.bpm) : std::numeric_limits<float>::quiet_NaN());
  ids_.push_back(t.id);
  titles_.push_back(t.title);
  auto artist_key = store::track_repo::normalise(t.artist);
  auto [a, new_artist] = artist_index_.try_emplace(artist_key, static_cast<std::int32_t>(artist_names_.size()));
  if (new_artist) artist_names_.push_back(t.artist);
  artist_.push_back(a->second);
  auto first_genre = genre_ids_.size();
  for (const auto& g : t.genres) {
    auto key = genre_key(g);
    if (key.empty()) continue;
    auto [it, added] = genre_index_.try_emplace(key, static_cast<std::int32_t>(genre_names_.size()));
    if (added) genre_names_.push_back(key);
    // The store keeps no repeats; a track from memory might have them.
    if (std::find(genre_ids_.begin() + static_cast<std::ptrdiff_t>(first_genre), genre_ids_.end(), it->second) ==
        genre_ids_.end())
      genre_ids_.push_back(it->second);
  }
  genre_offsets_.push_back(static_cast<std::uint32_t>(genre_ids_.size()));
}

void Catalog::index_genres() {
  std::vector<std::uint32_t> count(genre_names_.size() + 1, 0);
  for (auto g : genre_ids_) ++count[std::size_t(g) + 1];
  genre_track_offsets_.assign(genre_names_.size() + 1, 0);
  for (std::size_t g = 0; g < genre_names_.size(); ++g) genre_track_offsets_[g + 1] = genre_track_offsets_[g] + count[g + 1];
  genre_tracks_.assign(genre_ids_.size(), 0);
  std::vector<std::uint32_t> next(genre_track_offsets_.begin(), genre_track_offsets_.end() - 1);
  for (std::size_t i = 0; i < ids_.size(); ++i)
    for (auto g : genres(i)) genre_tracks_[next[std::size_t(g)]++] = static_cast<std::uint32_t>(i);
}

std::shared_ptr<const Catalog> Catalog::load(store::Database& db) {
  std::shared_ptr<Catalog> c(new Catalog());
  db.read([&](store::Db&) {
    // Nested reads share this transaction: the version and the tracks are of one snapshot.
    c->version_ = store::track_repo::catalog_version(db);
    store::track_repo::for_each(db, [&](const store::Track& t) { c->add(t); });
  });
  c->index_genres();
  return c;
}

std::shared_ptr<const Catalog> Catalog::from_tracks(std::vector<store::Track> tracks, std::int64_t version) {
  std::sort(tracks.begin(), tracks.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < tracks.size(); ++i)
    if (tracks[i].id == tracks[i - 1].id)
      throw Error(ErrorKind::BadRequest, "Duplicate track id " + tracks[i].id, {{"tracks", "ids must be unique"}});
  std::shared_ptr<Catalog> c(new Catalog());
  c->version_ = version;
  for (const auto& t : tracks) c->add(t);
  c->index_genres();
  return c;
}

bool Catalog::has_genre(std::size_t i, std::int32_t genre) const {
  for (auto g : genres(i))
    if (g == genre) return true;
  return false;
}

std::optional<std::size_t> Catalog::find(std::string_view track_id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), track_id,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == ids_.end() || *it != track_id) return std::nullopt;
  return static_cast<std::size_t>(it - ids_.begin());
}

std::optional<std::int32_t> Catalog::find_artist(std::string_view name) const {
  auto it = artist_index_.find(store::track_repo::normalise(name));
  if (it == artist_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int32_t> Catalog::find_genre(std::string_view name) const {
  auto it = genre_index_.find(genre_key(name));
  if (it == genre_index_.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<const Catalog> CatalogCache::get(store::Database& db) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto& e = entries_[db.path().string()];
    if (!e) e = std::make_shared<Entry>();
    entry = e;
  }
  auto current = [&] {
    std::lock_guard lock(mutex_);
    return entry->catalog;
  };
  auto version = store::track_repo::catalog_version(db);
  if (auto c = current(); c && c->version() == version) return c;
  std::lock_guard build(entry->build);
  // Another thread may have built it while this one waited.
  if (auto c = current(); c && c->version() >= version) return c;
  auto fresh = Catalog::load(db);
  std::lock_guard lock(mutex_);
  ++builds_;
  entry->catalog = fresh;
  return fresh;
}

std::size_t CatalogCache::builds() const {
  std::lock_guard lock(mutex_);
  return builds_;
}

}  // namespace cadenza::recommend
