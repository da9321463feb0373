// Synthesis (FluidSynth with the GM soundfont) and Ogg/Opus encoding, checked by decoding the results back
// with audio::decode.
#include "cadenza/audio/synth.hpp"

#include <iterator>
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/audio/decode.hpp"
#include "cadenza/audio/note_player.hpp"
#include "cadenza/audio/ogg_opus.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "support/error_kind.hpp"

using namespace cadenza;
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 48000;

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("cadenza-synth-test-" + new_uuid());
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const fs::path& scratch() {
  static Scratch s;
  return s.dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RMS of interleaved stereo between two times.
double rms(const std::vector<float>& x, double from, double to, int channels = 2) {
  auto a = std::size_t(from * kRate) * std::size_t(channels);
  auto b = std::min(x.size(), std::size_t(to * kRate) * std::size_t(channels));
  double e = 0;
  for (auto i = a; i < b; ++i) e += double(x[i]) * x[i];
  return b > a ? std::sqrt(e / double(b - a)) : 0.0;
}

std::vector<float> mono_of(const std::vector<float>& stereo) {
  std::vector<float> m(stereo.size() / 2);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = 0.5f * (stereo[2 * i] + stereo[2 * i + 1]);
  return m;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb + 1e-30);
}

// Power of the mono signal at `hz` (Goertzel) between two times.
double power_at(const std::vector<float>& mono, double hz, double from, double to) {
  const double w = 2 * M_PI * hz / kRate;
  double s1 = 0, s2 = 0;
  for (auto i = std::size_t(from * kRate); i < std::size_t(to * kRate) && i < mono.size(); ++i) {
    const double s = mono[i] + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
}

std::vector<NoteEvent> triad(double start, double end) {
  std::vector<NoteEvent> notes;
  for (int p : {60, 64, 67}) notes.push_back(NoteEvent{p, start, end, 0.7, {}});
  return notes;
}

// A format-0 Standard MIDI File at 120 bpm, 480 ticks per quarter: C4 for 0.5 s, a rest, E4 from 1.0 to 1.5 s.
std::string tiny_smf() {
  const std::string track = std::string{
      "\x00\xFF\x51\x03\x07\xA1\x20"  // tempo 500000 us per quarter
      "\x00\xC0\x00"                  // program 0
      "\x00\x90\x3C\x64"              // C4 on
      "\x83\x60\x80\x3C\x40"          // +480: C4 off (0.5 s)
      "\x83\x60\x90\x40\x64"          // +480: E4 on (1.0 s)
      "\x83\x60\x80\x40\x40"          // +480: E4 off (1.5 s)
      "\x00\xFF\x2F\x00",             // end of track
      33};
  std::string smf{"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xE0", 14};
  smf += "MTrk";
  for (int shift : {24, 16, 8, 0}) smf.push_back(char((track.size() >> shift) & 0xFF));
  return smf + track;
}

fs::path write_bytes(const std::string& name, const std::string& bytes) {
  auto p = scratch() / name;
  std::ofstream{p, std::ios::binary} << bytes;
  return p;
}

}  // namespace

TEST_CASE("a missing soundfont is Unavailable and says what to install") {
  CHECK(test::error_kind_of([] { audio::find_soundfont(scratch() / "nope.sf2"); }) == ErrorKind::Unavailable);
  audio::SynthOptions o;
  o.soundfont = scratch() / "nope.sf2";
  try {
    audio::Synth s{o};
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unavailable);
    CHECK(std::string{e.what()}.find("fluid-soundfont-gm") != std::string::npos);
  }
  CHECK(test::error_kind_of([] { audio::Synth{audio::SynthOptions{write_bytes("bad.sf2", "not a soundfont")}}; }) ==
        ErrorKind::Unprocessable);
  CHECK(audio::find_soundfont().filename() == "FluidR3_GM.sf2");
}

TEST_CASE("a C major triad renders where its notes are, then its tail") {
  auto out = audio::render_notes(triad(0.5, 1.5));
  CHECK(out.size() == std::size_t(2.5 * kRate) * 2);  // 1.5 s of notes + 1 s tail, stereo
  CHECK(rms(out, 0.0, 0.49) < 1e-5);                  // nothing before the onset
  const double sounding = rms(out, 0.5, 1.5);
  CHECK(sounding > 0.02);
  CHECK(rms(out, 2.2, 2.5) < sounding / 10);  // released and fading
  double peak = 0;
  for (float s : out) peak = std::max(peak, double(std::abs(s)));
  CHECK(peak < 1.0);
  auto mono = mono_of(out);
  // C4, E4 and G4 are there; C#4 and F#4, between them, are much weaker.
  for (double hz : {261.63, 329.63, 392.0}) {
    CAPTURE(hz);
    CHECK(power_at(mono, hz, 0.6, 1.4) > 10 * power_at(mono, 277.18, 0.6, 1.4));
    CHECK(power_at(mono, hz, 0.6, 1.4) > 10 * power_at(mono, 369.99, 0.6, 1.4));
  }
}

TEST_CASE("a Synth renders chunk by chunk; held notes carry across chunks; a reused synth starts silent") {
  {
    audio::Synth synth;
    CHECK(synth.sample_rate() == kRate);
    synth.note_on(0, 60, 100);
    std::vector<float> all;
    for (int i = 0; i < 4; ++i) {
      auto chunk = synth.render(kRate / 4);
      CHECK(chunk.size() == std::size_t(kRate / 4) * 2);
      CHECK(rms(chunk, 0, 0.25) > 0.01);  // still sounding in every chunk
      all.insert(all.end(), chunk.begin(), chunk.end());
    }
    synth.note_off(0, 60);
    synth.note_off(0, 61);  // never on: ignored
    auto after = synth.render(kRate);
    CHECK(rms(after, 0.8, 1.0) < rms(all, 0.75, 1.0) / 10);
    CHECK(test::error_kind_of([&] { synth.note_on(0, 128, 100); }) == ErrorKind::BadRequest);
    CHECK(test::error_kind_of([&] { synth.note_on(16, 60, 100); }) == ErrorKind::BadRequest);
    synth.program_change(0, 40);  // violin
    synth.note_on(0, 72, 100);    // left sounding when the synth goes back to the pool
    CHECK(rms(synth.render(kRate / 4 + 37), 0.1, 0.25) > 0.001);  // and off the 64-frame grid
    audio::Synth moved{std::move(synth)};
    CHECK(rms(moved.render(kRate / 10), 0, 0.1) > 0.001);
  }
  audio::Synth again;  // takes the pooled one: reset to silence and piano
  CHECK(rms(again.render(kRate / 10), 0, 0.1) < 1e-5);  // at most the drained reverb's last -100 dB
}

TEST_CASE("Synths render on several threads at once, each as it would alone") {
  auto play = [] {
    audio::Synth synth;
    synth.note_on(0, 64, 90);
    return synth.render(kRate / 5);
  };
  const auto alone = play();
  std::vector<std::vector<float>> outs(3);
  std::vector<std::thread> threads;
  for (auto& o : outs) threads.emplace_back([&o, &play] { o = play(); });
  for (auto& t : threads) t.join();
  // Fresh synths render bit-identically; a pooled one differs slightly (the reverb's modulation phase,
  // a faint residue of its past), so the check is on the sound, not the bits. A pooled synth left off
  // FluidSynth's 64-frame grid would start notes late and fail the correlation.
  for (const auto& o : outs) {
    REQUIRE(o.size() == alone.size());
    CHECK(correlation(o, alone) > 0.98);
    CHECK(rms(o, 0, 0.2) == doctest::Approx(rms(alone, 0, 0.2)).epsilon(0.05));
  }
}

TEST_CASE("a NotePlayer starts and stops notes on their frames across pieces") {
  audio::Synth synth;
  audio::NotePlayer player{synth};
  player.add(NoteEvent{60, 0.3, 0.7, 0.8, {}});  // spans the boundary at 0.5 s
  auto a = player.render_until(0.5);
  auto b = player.render_until(1.5);
  CHECK(a.size() == std::size_t(kRate / 2) * 2);
  CHECK(b.size() == std::size_t(kRate) * 2);
  CHECK(rms(a, 0, 0.29) < 1e-5);
  CHECK(rms(a, 0.31, 0.5) > 0.01);
  CHECK(rms(b, 0.0, 0.2) > 0.01);  // held into the second piece
  CHECK(rms(b, 0.8, 1.0) < rms(b, 0.0, 0.2) / 10);
  CHECK(player.position() == doctest::Approx(1.5));
  CHECK_FALSE(player.pending());
}

TEST_CASE("render_midi_file plays a Standard MIDI File, with a tail") {
  const auto mid = write_bytes("tiny.mid", tiny_smf());
  auto out = audio::render_midi_file(mid);
  const double seconds = double(out.size()) / 2 / kRate;
  CHECK(seconds == doctest::Approx(2.5).epsilon(0.02));  // 1.5 s + 1 s tail (+ one 21 ms block)
  CHECK(rms(out, 0.05, 0.45) > 0.01);                    // C4
  CHECK(rms(out, 1.05, 1.45) > 0.01);                    // E4
  CHECK(rms(out, 0.9, 0.99) < rms(out, 1.05, 1.45) / 5);  // the rest, C4 released
  auto mono = mono_of(out);
  CHECK(power_at(mono, 329.63, 1.1, 1.4) > 10 * power_at(mono, 261.63, 1.1, 1.4));

  CHECK(test::error_kind_of([&] { audio::render_midi_file(scratch() / "missing.mid"); }) == ErrorKind::NotFound);
  CHECK(test::error_kind_of([&] { audio::render_midi_file(write_bytes("text.mid", "hello, not midi")); }) ==
        ErrorKind::UnsupportedMedia);
  const std::string smf = tiny_smf();
  CHECK(test::error_kind_of([&] { audio::render_midi_file(write_bytes("cut.mid", smf.substr(0, 30))); }) ==
        ErrorKind::Unprocessable);
  audio::SynthOptions shorter;
  shorter.max_seconds = 1.0;
  CHECK(test::error_kind_of([&] { audio::render_midi_file(mid, shorter); }) == ErrorKind::Unprocessable);
  CHECK_THROWS_AS(audio::render_midi_file(mid, {}, [] { return true; }), audio::Cancelled);
  CHECK(test::error_kind_of([&] { audio::render_notes(triad(0, 2), shorter); }) == ErrorKind::Unprocessable);
}

TEST_CASE("write_ogg_opus writes a file that decodes back to the same music") {
  auto pcm = audio::render_notes(triad(0.2, 1.2));
  const auto path = scratch() / "score.ogg";
  audio::write_ogg_opus(path, pcm, kRate, 2);
  CHECK_FALSE(fs::exists(scratch() / "score.ogg.part"));
  CHECK(slurp(path).substr(0, 4) == "OggS");
  auto back = audio::decode_file(path);
  CHECK(back.sample_rate == kRate);
  CHECK(back.channels == 2);
  CHECK(std::abs(back.duration_s() - double(pcm.size()) / 2 / kRate) < 0.003);
  const auto mono = mono_of(pcm);
  CHECK(correlation(mono, back.mono) > 0.95);
  CHECK(rms(back.mono, 0.3, 1.1, 1) == doctest::Approx(rms(mono, 0.3, 1.1, 1)).epsilon(0.1));

  CHECK(test::error_kind_of([&] { audio::write_ogg_opus(scratch() / "x.ogg", pcm, 44100, 2); }) ==
        ErrorKind::BadRequest);
  CHECK(test::error_kind_of([&] { audio::write_ogg_opus(scratch() / "none" / "x.ogg", pcm, kRate, 2); }) ==
        ErrorKind::Internal);
}

TEST_CASE("render_midi_file streams pieces into an OggOpusFile: the same music, nothing left on failure") {
  const auto mid = write_bytes("tiny.mid", tiny_smf());
  const auto whole = audio::render_midi_file(mid);
  const auto path = scratch() / "streamed.ogg";
  std::vector<float> joined;
  std::size_t pieces = 0, largest = 0;
  {
    audio::OggOpusFile file(path, kRate, 2);
    audio::render_midi_file(mid, [&](const float* p, std::size_t n) {
      CHECK(n % 2 == 0);
      ++pieces;
      largest = std::max(largest, n);
      joined.insert(joined.end(), p, p + n);
      file.write(p, n);
      CHECK_FALSE(fs::exists(path));  // only the .part file while it is written
    });
    file.commit();
    CHECK_THROWS_AS(file.commit(), Error);
  }
  CHECK(pieces >= 5);                        // 2.5 s in pieces of about 0.5 s
  CHECK(largest <= std::size_t(kRate) * 2);  // never more than ~0.5 s held (stereo floats: kRate per 0.5 s)
  CHECK(joined.size() == whole.size());
  CHECK(correlation(mono_of(joined), mono_of(whole)) > 0.99);
  CHECK_FALSE(fs::exists(scratch() / "streamed.ogg.part"));
  auto back = audio::decode_file(path);
  CHECK(std::abs(back.duration_s() - double(whole.size()) / 2 / kRate) < 0.003);
  CHECK(correlation(mono_of(whole), back.mono) > 0.95);

  // A rendering that fails part-way (the sink throws, a cancel) leaves neither the file nor its .part.
  const auto failed = scratch() / "failed.ogg";
  CHECK_THROWS_AS(([&] {
                    audio::OggOpusFile file(failed, kRate, 2);
                    int n = 0;
                    audio::render_midi_file(mid, [&](const float* p, std::size_t k) {
                      file.write(p, k);
                      if (++n == 2) throw audio::Cancelled{};
                    });
                    file.commit();
                  }()),
                  audio::Cancelled);
  CHECK_FALSE(fs::exists(failed));
  CHECK_FALSE(fs::exists(scratch() / "failed.ogg.part"));
  CHECK(test::error_kind_of([&] { audio::OggOpusFile(scratch() / "x.ogg", 44100, 2); }) == ErrorKind::BadRequest);
}

TEST_CASE("OggOpusFile with a background encoder writes the same bytes as inline, and leaves nothing when dropped") {
  const auto mid = write_bytes("tiny.mid", tiny_smf());
  // One rendering (a pooled synth's reverb runs on, so two renderings differ slightly), encoded both ways.
  std::vector<std::vector<float>> pieces;
  audio::render_midi_file(mid, [&](const float* p, std::size_t n) { pieces.emplace_back(p, p + n); });
  auto encode = [&](const fs::path& path, audio::OggOpusFile::Encoding how) {
    audio::OggOpusFile file(path, kRate, 2, audio::kDefaultOpusQuality, how);
    for (const auto& piece : pieces) file.write(piece.data(), piece.size());
    file.commit();
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const auto inline_bytes = encode(scratch() / "inline.ogg", audio::OggOpusFile::Encoding::Inline);
  const auto background_bytes = encode(scratch() / "background.ogg", audio::OggOpusFile::Encoding::Background);
  CHECK(inline_bytes.size() > 1000);
  // The Ogg serial number is random per stream: compare everything else.
  CHECK(background_bytes.size() == inline_bytes.size());
  CHECK(audio::decode_file(scratch() / "background.ogg").mono == audio::decode_file(scratch() / "inline.ogg").mono);

  // More pieces than the queue holds, then dropped without commit: no file, no .part, no hang.
  const auto dropped = scratch() / "dropped.ogg";
  {
    audio::OggOpusFile file(dropped, kRate, 2, audio::kDefaultOpusQuality, audio::OggOpusFile::Encoding::Background);
    std::vector<float> piece(std::size_t(kRate), 0.1f);
    for (std::size_t i = 0; i < 3 * audio::OggOpusFile::kQueuedPieces; ++i) file.write(piece.data(), piece.size());
  }
  CHECK_FALSE(fs::exists(dropped));
  CHECK_FALSE(fs::exists(scratch() / "dropped.ogg.part"));

  // An encoder error (a write that fails: the disk is gone) comes back from write() or commit().
  const auto gone = scratch() / "gone";
  fs::create_directories(gone);
  CHECK(test::error_kind_of([&] {
          audio::OggOpusFile file(gone / "x.ogg", kRate, 2, audio::kDefaultOpusQuality,
                                  audio::OggOpusFile::Encoding::Background);
          fs::remove_all(gone);  // the open .part file stays writable: the commit's rename fails instead
          std::vector<float> piece(std::size_t(kRate), 0.1f);
          file.write(piece.data(), piece.size());
          file.commit();
        }) == ErrorKind::Internal);
}

TEST_CASE("OggOpusStream: pieces are pages of one growing stream, decodable at every piece") {
  audio::Synth synth;
  audio::NotePlayer player{synth};
  for (int i = 0; i < 10; ++i) player.add(NoteEvent{60 + 2 * i, 0.5 * i + 0.25, 0.5 * i + 0.75, 0.7, {}});
  audio::OggOpusStream stream;
  std::vector<float> pcm;
  std::string all;
  for (int i = 0; i < 10; ++i) {
    auto piece = player.render(kRate / 2);
    pcm.insert(pcm.end(), piece.begin(), piece.end());
    std::string bytes = stream.write(piece);
    CAPTURE(i);
    CHECK(bytes.size() > 1000);  // every piece's audio goes out with it
    CHECK(bytes.substr(0, 4) == "OggS");
    if (i == 0) {
      CHECK(bytes.find("OpusHead") != std::string::npos);
      CHECK(bytes.find("OpusTags") != std::string::npos);
      CHECK(bytes.substr(0, stream.headers().size()) == stream.headers());
      auto prefix = audio::decode_bytes(bytes);  // already playable
      CHECK(prefix.sample_rate == kRate);
      CHECK(prefix.duration_s() == doctest::Approx(0.5).epsilon(0.02));
    } else {
      CHECK(bytes.find("OpusHead") == std::string::npos);
    }
    all += bytes;
  }
  const std::string last = stream.finish();
  CHECK(last.substr(0, 4) == "OggS");
  all += last;
  CHECK(stream.frames_written() == 10 * kRate / 2);
  CHECK_THROWS_AS(stream.write(pcm), Error);

  auto back = audio::decode_bytes(all);
  CHECK(back.channels == 2);
  CHECK(std::abs(back.duration_s() - 5.0) < 0.001);
  CHECK(correlation(mono_of(pcm), back.mono) > 0.95);
}

TEST_CASE("OggOpusStream: pieces that are not whole Opus frames, and mono") {
  audio::OggOpusStream stream{kRate, 1};
  std::vector<float> piece(std::size_t(0.37 * kRate));
  std::string all;
  std::size_t t = 0;
  for (int i = 0; i < 5; ++i) {
    for (auto& s : piece) s = float(0.3 * std::sin(2 * M_PI * 440.0 * double(t++) / kRate));
    all += stream.write(piece);
  }
  all += stream.finish();
  auto back = audio::decode_bytes(all);
  CHECK(back.channels == 1);
  CHECK(back.duration_s() == doctest::Approx(5 * 0.37).epsilon(0.001));
  CHECK(rms(back.mono, 0.1, 1.8, 1) == doctest::Approx(0.3 / std::sqrt(2)).epsilon(0.05));
  CHECK(test::error_kind_of([] { audio::OggOpusStream{44100, 2}; }) == ErrorKind::BadRequest);
  audio::OggOpusStream empty;
  auto only = empty.finish();
  CHECK(only.find("OpusHead") != std::string::npos);
}
