// bench/transcription_accuracy: note-level precision / recall / F1 of the Basic Pitch transcriber,
// with mir_eval.transcription's conventions: a hit has its onset within 50 ms and its pitch within
// 50 cents of a reference note (one-to-one, maximum bipartite matching); the "with offsets" variant
// also needs the offset within max(50 ms, 20 % of the reference duration). Scores are means over
// pieces, as mir_eval reports per piece.
//
// Sets (ground truth known exactly):
//   - JSB chorales, test split (../shared/datasets/jsb-chorales/jsb-chorales-16th.json), a 16th = 0.15 s,
//     a pitch held over consecutive steps is one note;
//   - Nottingham tunes (../shared/datasets/nottingham/MIDI), notes from the MIDI files;
//   both rendered with FluidSynth and FluidR3_GM as piano (0), nylon guitar (24), flute (73) and string
//   ensemble (48, slow attacks: the hardest case for onsets);
//   - GuitarSet 00_BN1-129-Eb_comp (real acoustic guitar, ../shared/datasets/guitarset-excerpt).
// Note creation uses basic-pitch's Python defaults (onset 0.5, frame 0.3, 11 frames, melodia on).
//
// Usage: transcription_accuracy [--limit N (pieces per set, default 8)] [--threads N]
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "cadenza/audio/load.hpp"
#include "cadenza/transcribe/transcriber.hpp"
#include "transcription_common.hpp"

using namespace cadenza;
using bench::fs::path;

namespace {

struct RefNote {
  double on, off, pitch;  // seconds, seconds, MIDI (may be fractional)
};

// ---- MIDI in/out -------------------------------------------------------------------------------

std::vector<RefNote> read_midi(const path& file) {
  std::ifstream in{file, std::ios::binary};
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u = [&](std::size_t o, int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b.at(o + std::size_t(i)));
    return v;
  };
  if (b.size() < 14 || b.compare(0, 4, "MThd") != 0) return {};
  const int ntracks = int(u(10, 2)), division = int(u(12, 2));
  if (division & 0x8000) return {};
  struct Ev { std::uint64_t tick; int kind; int a, b; std::uint32_t tempo; };  // kind 0 tempo, 1 on, 2 off
  std::vector<Ev> evs;
  std::size_t off = 8 + u(4, 4);
  for (int t = 0; t < ntracks && off + 8 <= b.size(); ++t) {
    const std::size_t len = u(off + 4, 4), end = std::min(b.size(), off + 8 + len);
    std::size_t p = off + 8;
    std::uint64_t tick = 0;
    int status = 0;
    auto varlen = [&] {
      std::uint32_t v = 0;
      for (int i = 0; i < 4 && p < end; ++i) {
        const auto c = static_cast<unsigned char>(b[p++]);
        v = (v << 7) | (c & 0x7F);
        if (!(c & 0x80)) break;
      }
      return v;
    };
    while (p < end) {
      tick += varlen();
      if (p >= end) break;
      int c = static_cast<unsigned char>(b[p]);
      if (c & 0x80) status = c, ++p;
      if (status == 0xFF) {
        const int type = static_cast<unsigned char>(b[p++]);
        const std::uint32_t l = varlen();
        if (type == 0x51 && l == 3) evs.push_back({tick, 0, 0, 0, u(p, 3)});
        p += l;
      } else if (status == 0xF0 || status == 0xF7) {
        p += varlen();
      } else {
        const int hi = status & 0xF0, ch = status & 0x0F;
        const int d1 = static_cast<unsigned char>(b[p++]);
        int d2 = 0;
        if (hi != 0xC0 && hi != 0xD0) d2 = static_cast<unsigned char>(b[p++]);
        if (ch == 9) continue;  // drums
        if (hi == 0x90 && d2 > 0) evs.push_back({tick, 1, d1, d2, 0});
        else if (hi == 0x80 || (hi == 0x90 && d2 == 0)) evs.push_back({tick, 2, d1, 0, 0});
      }
    }
    off = off + 8 + len;
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& x, const Ev& y) {
    return x.tick != y.tick ? x.tick < y.tick : x.kind < y.kind;  // tempo, then on, then off
  });
  std::vector<RefNote> notes;
  std::map<int, std::vector<double>> open;
  double sec = 0, us_per_beat = 500000;
  std::uint64_t last = 0;
  for (const auto& e : evs) {
    sec += double(e.tick - last) * us_per_beat / 1e6 / division;
    last = e.tick;
    if (e.kind == 0) us_per_beat = e.tempo;
    else if (e.kind == 1) open[e.a].push_back(sec);
    else if (auto it = open.find(e.a); it != open.end() && !it->second.empty()) {
      notes.push_back({it->second.front(), sec, double(e.a)});
      it->second.erase(it->second.begin());
    }
  }
  std::sort(notes.begin(), notes.end(), [](const RefNote& x, const RefNote& y) { return x.on < y.on; });
  return notes;
}

void write_midi(const path& file, const std::vector<RefNote>& notes, int program) {
  constexpr int tpq = 480;  // 120 BPM: 960 ticks per second
  struct Ev { std::uint32_t tick; int order; std::string bytes; };
  std::vector<Ev> evs{{0, 0, std::string{char(0xC0), char(program)}}};
  for (const auto& n : notes) {
    const auto p = char(int(std::lround(n.pitch)));
    evs.push_back({std::uint32_t(std::lround(n.on * 960)), 2, std::string{char(0x90), p, char(90)}});
    evs.push_back({std::uint32_t(std::lround(n.off * 960)), 1, std::string{char(0x80), p, char(0)}});
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    return a.tick != b.tick ? a.tick < b.tick : a.order < b.order;
  });
  std::string body;
  std::uint32_t last = 0;
  auto varlen = [&](std::uint32_t v) {
    char buf[5];
    int n = 0;
    buf[n++] = char(v & 0x7F);
    while ((v >>= 7) != 0) buf[n++] = char(0x80 | (v & 0x7F));
    while (n > 0) body.push_back(buf[--n]);
  };
  for (const auto& e : evs) {
    varlen(e.tick - last);
    body += e.bytes;
    last = e.tick;
  }
  varlen(0);
  body += std::string{"\xFF\x2F\x00", 3};
  auto be = [](std::uint32_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xFF));
    return s;
  };
  std::ofstream out{file, std::ios::binary};
  out << "MThd" << be(6, 4) << be(0, 2) << be(1, 2) << be(tpq, 2) << "MTrk" << be(std::uint32_t(body.size()), 4) << body;
}

// ---- mir_eval.transcription --------------------------------------------------------------------

struct Score {
  double p = 0, r = 0, f = 0;
};

double round4(double x) { return std::round(x * 1e4) / 1e4; }

Score evaluate(const std::vector<RefNote>& ref, const std::vector<NoteEvent>& est, bool offsets) {
  std::vector<std::vector<int>> adj(ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i)
    for (std::size_t j = 0; j < est.size(); ++j) {
      if (round4(std::fabs(ref[i].on - est[j].start)) > 0.05) continue;
      if (std::fabs(100.0 * (ref[i].pitch - est[j].pitch)) > 50.0 + 1e-9) continue;
      if (offsets) {
        const double tol = std::max(0.05, 0.2 * (ref[i].off - ref[i].on));
        if (round4(std::fabs(ref[i].off - est[j].end)) > tol) continue;
      }
      adj[i].push_back(int(j));
    }
  // Maximum bipartite matching (augmenting paths), as mir_eval's match_notes.
  std::vector<int> match_est(est.size(), -1);
  std::size_t matched = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    std::vector<char> seen(est.size(), 0);
    std::function<bool(int)> augment = [&](int r) {
      for (int j : adj[std::size_t(r)]) {
        if (seen[std::size_t(j)]) continue;
        seen[std::size_t(j)] = 1;
        if (match_est[std::size_t(j)] < 0 || augment(match_est[std::size_t(j)])) {
          match_est[std::size_t(j)] = r;
          return true;
        }
      }
      return false;
    };
    if (augment(int(i))) ++matched;
  }
  Score s;
  s.p = est.empty() ? 0 : double(matched) / double(est.size());
  s.r = ref.empty() ? 0 : double(matched) / double(ref.size());
  s.f = s.p + s.r > 0 ? 2 * s.p * s.r / (s.p + s.r) : 0;
  return s;
}

// ---- data sets ----------------------------------------------------------------------------------

std::vector<std::vector<RefNote>> jsb_pieces(std::size_t limit) {
  std::ifstream in{"../shared/datasets/jsb-chorales/jsb-chorales-16th.json"};
  auto j = nlohmann::json::parse(in);
  std::vector<std::vector<RefNote>> out;
  constexpr double step = 0.15;
  for (const auto& piece : j["test"]) {
    if (out.size() >= limit) break;
    std::vector<RefNote> notes;
    std::map<int, double> open;  // pitch -> onset
    std::size_t t = 0;
    for (; t < piece.size(); ++t) {
      std::map<int, bool> now;
      for (const auto& p : piece[t]) now[int(p.get<double>())] = true;
      for (auto it = open.begin(); it != open.end();) {
        if (!now.count(it->first)) {
          notes.push_back({it->second, double(t) * step, double(it->first)});
          it = open.erase(it);
        } else {
          ++it;
        }
      }
      for (const auto& [p, _] : now)
        if (!open.count(p)) open[p] = double(t) * step;
    }
    for (const auto& [p, on] : open) notes.push_back({on, double(t) * step, double(p)});
    std::sort(notes.begin(), notes.end(), [](const RefNote& a, const RefNote& b) { return a.on < b.on; });
    out.push_back(std::move(notes));
  }
  return out;
}

std::vector<std::vector<RefNote>> nottingham_pieces(std::size_t limit) {
  std::vector<path> files;
  for (const auto& e : bench::fs::directory_iterator("../shared/datasets/nottingham/MIDI"))
    if (e.path().extension() == ".mid") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::vector<RefNote>> out;
  const std::size_t stride = std::max<std::size_t>(1, files.size() / std::max<std::size_t>(1, limit));
  for (std::size_t i = 0; i < files.size() && out.size() < limit; i += stride) {
    auto notes = read_midi(files[i]);
    // Keep the first 40 s: enough notes per piece, bounded run time.
    std::erase_if(notes, [](const RefNote& n) { return n.on >= 40.0; });
    for (auto& n : notes) n.off = std::min(n.off, 40.0);
    if (!notes.empty()) out.push_back(std::move(notes));
  }
  return out;
}

std::vector<RefNote> guitarset_notes() {
  std::ifstream in{"../shared/datasets/guitarset-excerpt/00_BN1-129-Eb_comp_notes.csv"};
  std::vector<RefNote> notes;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss{line};
    std::string on, off, pitch;
    std::getline(ss, on, ',');
    std::getline(ss, off, ',');
    std::getline(ss, pitch, ',');
    if (!pitch.empty()) notes.push_back({std::stod(on), std::stod(off), std::stod(pitch)});
  }
  return notes;
}

struct Row {
  explicit Row(std::string n) : name(std::move(n)) {}
  std::string name;
  int pieces = 0, ref_notes = 0, est_notes = 0;
  Score on, onoff;
};

void add(Row& row, const std::vector<RefNote>& ref, const std::vector<NoteEvent>& est) {
  auto a = evaluate(ref, est, false), b = evaluate(ref, est, true);
  row.pieces++;
  row.ref_notes += int(ref.size());
  row.est_notes += int(est.size());
  row.on.p += a.p, row.on.r += a.r, row.on.f += a.f;
  row.onoff.p += b.p, row.onoff.r += b.r, row.onoff.f += b.f;
}

void print_row(const Row& r) {
  const double n = std::max(1, r.pieces);
  std::printf("%-26s %6d %7d %7d | %5.3f %5.3f %5.3f | %5.3f %5.3f %5.3f\n", r.name.c_str(), r.pieces, r.ref_notes,
              r.est_notes, r.on.p / n, r.on.r / n, r.on.f / n, r.onoff.p / n, r.onoff.r / n, r.onoff.f / n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t limit = 8;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--limit" && i + 1 < argc) limit = std::size_t(std::stoul(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: transcription_accuracy [--limit N] [--threads N]\n");
      return 2;
    }
  }
  const path work = bench::fs::temp_directory_path() / ("cadenza-accuracy-" + std::to_string(::getpid()));
  bench::fs::create_directories(work);
  transcribe::Transcriber tr{transcribe::TranscriberOptions{ml::default_models_dir(), threads, 4}};
  const transcribe::NoteOptions options;  // basic-pitch's Python defaults

  std::printf("note-level P / R / F1, mir_eval conventions (onset 50 ms, pitch 50 cents; offset max(50 ms, 20 %%))\n");
  std::printf("%-26s %6s %7s %7s | %-17s | %-17s\n", "set", "pieces", "ref", "est", "onset only P R F1",
              "with offset P R F1");
  const std::vector<std::pair<std::string, int>> programs{{"piano", 0}, {"nylon guitar", 24}, {"flute", 73}, {"strings", 48}};
  const std::vector<std::pair<std::string, std::vector<std::vector<RefNote>>>> sets{
      {"JSB chorales", jsb_pieces(limit)}, {"Nottingham", nottingham_pieces(limit)}};
  int k = 0;
  for (const auto& [set_name, pieces] : sets) {
    for (const auto& [prog_name, program] : programs) {
      Row row(set_name + ", " + prog_name);
      for (const auto& ref : pieces) {
        const path mid = work / ("p" + std::to_string(k) + ".mid"), wav = work / ("p" + std::to_string(k++) + ".wav");
        write_midi(mid, ref, program);
        if (!bench::render(mid, wav)) {
          std::fprintf(stderr, "fluidsynth/sox failed on %s\n", mid.c_str());
          return 1;
        }
        auto result = tr.run(audio::load_mono(wav, transcribe::Transcriber::kSampleRate), options);
        add(row, ref, result.notes);
        bench::fs::remove(mid);
        bench::fs::remove(wav);
      }
      print_row(row);
    }
  }
  Row gs("GuitarSet (real guitar)");
  auto result = tr.run(audio::load_mono("../shared/datasets/guitarset-excerpt/00_BN1-129-Eb_comp_mic.wav",
                                        transcribe::Transcriber::kSampleRate),
                       options);
  add(gs, guitarset_notes(), result.notes);
  print_row(gs);
  bench::fs::remove_all(work);
  return 0;
}
