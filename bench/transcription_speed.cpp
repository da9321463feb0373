// bench/transcription_speed: real-time factor of the libtorch Basic Pitch transcriber on a 3-minute
// piece, next to Spotify's npm reference (tfjs CPU backend) on the same audio in the same run.
//
// The piece: Nottingham tunes (../shared/datasets/nottingham/MIDI) rendered with FluidSynth and
// FluidR3_GM (piano), concatenated and cut to --seconds. Cadenza transcribes the 44.1 kHz stereo
// render (decode + mono mix + soxr resample + model + note creation, all timed); the reference reads
// the 22050 Hz mono float WAV its run.js requires (its timing covers model + note creation only,
// not model loading or Node start-up). The same 22050 Hz WAV is also run through Cadenza untimed to
// report parity (max |diff| of frames / onsets / contours, % notes identical) on the long piece.
//
// Usage: transcription_speed [--seconds 180] [--threads 2] [--runs 2] [--ref-seconds S | --no-ref]
//        transcription_speed --parity AUDIO_FILE      (parity only, e.g. the GuitarSet recording)
//   --ref-seconds S  run the reference on the first S seconds only (it takes ~6 s per audio second)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "cadenza/audio/load.hpp"
#include "cadenza/audio/wav_writer.hpp"
#include "cadenza/transcribe/transcriber.hpp"
#include "transcription_common.hpp"

using namespace cadenza;
using bench::fs::path;

namespace {

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

// Runs Cadenza on the 22050 Hz WAV the reference read and prints how far apart the two are.
void print_parity(const transcribe::Transcriber& tr, const path& wav22, const bench::Reference& ref) {
  auto same = tr.run(audio::load_mono(wav22, transcribe::Transcriber::kSampleRate));
  using Key = std::tuple<int, long, long>;
  std::multiset<Key> theirs;
  for (const auto& n : ref.notes) {
    const double s = n["startTimeSeconds"].get<double>();
    theirs.insert({n["pitchMidi"].get<int>(), std::lround(s * 1e4), std::lround((s + n["durationSeconds"].get<double>()) * 1e4)});
  }
  std::size_t matched = 0;
  for (const auto& n : same.notes)
    if (auto it = theirs.find({n.pitch, std::lround(n.start * 1e4), std::lround(n.end * 1e4)}); it != theirs.end())
      theirs.erase(it), ++matched;
  std::printf("parity on %.1f s (onset 0.5, frame 0.3, min length 11 frames, melodia on): max |diff| frames %.2e "
              "onsets %.2e contours %.2e; notes %zu vs %zu, %.2f %% identical (pitch, start, end)\n",
              ref.audio_s, max_abs(same.model.frames, ref.frames), max_abs(same.model.onsets, ref.onsets),
              max_abs(same.model.contours, ref.contours), same.notes.size(), ref.notes.size(),
              100.0 * double(matched) / double(std::max<std::size_t>(1, std::max(same.notes.size(), ref.notes.size()))));
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 180, ref_seconds = -1;
  int threads = 2, runs = 2;
  bool no_ref = false;
  std::string parity_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string{argv[++i]} : std::string{"0"}; };
    if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--runs") runs = std::max(1, std::stoi(next()));
    else if (a == "--ref-seconds") ref_seconds = std::stod(next());
    else if (a == "--no-ref") no_ref = true;
    else if (a == "--parity") parity_file = next();
    else {
      std::fprintf(stderr, "usage: transcription_speed [--seconds S] [--threads N] [--runs N] [--ref-seconds S | --no-ref]\n"
                           "       transcription_speed --parity AUDIO_FILE\n");
      return 2;
    }
  }
  if (ref_seconds <= 0 || ref_seconds > seconds) ref_seconds = seconds;
  const path work = bench::fs::temp_directory_path() / ("cadenza-speed-" + std::to_string(::getpid()));
  bench::fs::create_directories(work);

  if (!parity_file.empty()) {  // parity only, on any audio file
    const path wav22 = work / "input22k.wav";
    if (bench::sh("sox " + bench::q(parity_file) + " -r 22050 -c 1 -b 32 -e float " + bench::q(wav22)) != 0) {
      std::fprintf(stderr, "sox cannot read %s\n", parity_file.c_str());
      return 1;
    }
    transcribe::Transcriber tr{transcribe::TranscriberOptions{ml::default_models_dir(), threads, 4, true}};
    auto ref = bench::run_reference(wav22, work / "ref");
    if (!ref.ok) {
      std::fprintf(stderr, "reference failed: run scripts/setup (models/node_modules with @tensorflow/tfjs)\n");
      return 1;
    }
    std::printf("%s\n", parity_file.c_str());
    print_parity(tr, wav22, ref);
    bench::fs::remove_all(work);
    return 0;
  }

  // 1. The piece.
  std::vector<path> midis;
  for (const auto& e : bench::fs::directory_iterator("../shared/datasets/nottingham/MIDI"))
    if (e.path().extension() == ".mid") midis.push_back(e.path());
  std::sort(midis.begin(), midis.end());
  std::string parts;
  double total = 0;
  for (std::size_t i = 0; i < midis.size() && total < seconds + 1; i += 37) {
    const path raw = work / ("part" + std::to_string(i) + ".wav");
    if (bench::sh("fluidsynth -ni -q -g 0.6 -r 44100 -F " + bench::q(raw) + " " + bench::kSoundfont + " " +
                  bench::q(midis[i])) != 0)
      continue;
    total += audio::decode_file(raw).duration_s();
    parts += " " + bench::q(raw);
  }
  const path piece44 = work / "piece44k.wav", piece22 = work / "piece22k.wav", ref22 = work / "ref22k.wav";
  if (total < seconds || bench::sh("sox" + parts + " " + bench::q(piece44) + " trim 0 " + std::to_string(seconds)) != 0 ||
      bench::sh("sox " + bench::q(piece44) + " -r 22050 -c 1 -b 32 -e float " + bench::q(piece22)) != 0 ||
      bench::sh("sox " + bench::q(piece22) + " " + bench::q(ref22) + " trim 0 " + std::to_string(ref_seconds)) != 0) {
    std::fprintf(stderr, "could not render the piece (fluidsynth, sox, fluid-soundfont-gm installed?)\n");
    return 1;
  }
  std::printf("piece: %.0f s, %s of Nottingham tunes (FluidSynth, piano), %d threads\n", seconds,
              piece44.filename().c_str(), threads);

  // 2. Cadenza.
  double t0 = bench::now_s();
  transcribe::Transcriber tr{transcribe::TranscriberOptions{ml::default_models_dir(), threads, 4, true}};
  const double load_s = bench::now_s() - t0;
  std::vector<double> times, cpu;
  transcribe::Result result;
  double decode_s = 0;
  for (int r = 0; r < runs; ++r) {
    t0 = bench::now_s();
    const double c0 = bench::cpu_s();
    auto mono = audio::load_mono(piece44, transcribe::Transcriber::kSampleRate);
    decode_s = bench::now_s() - t0;
    result = tr.run(mono);
    times.push_back(bench::now_s() - t0);
    cpu.push_back(bench::cpu_s() - c0);
  }
  const double peak_mib = bench::peak_rss_mib();
  const double first = times.front(), best = *std::min_element(times.begin(), times.end());
  std::printf("\n%-34s %10s %10s\n", "cadenza (libtorch)", "seconds", "x realtime");
  std::printf("%-34s %10.2f %10s\n", "model load (once)", load_s, "");
  std::printf("%-34s %10.2f %10s\n", "decode + resample", decode_s, "");
  std::printf("%-34s %10.2f %10.1f\n", "transcribe, first run", first, seconds / first);
  std::printf("%-34s %10.2f %10.1f\n", ("transcribe, best of " + std::to_string(runs)).c_str(), best, seconds / best);
  const double cpu_best = *std::min_element(cpu.begin(), cpu.end());
  std::printf("%-34s %10.2f %10.1f\n", "CPU seconds (all threads), best", cpu_best, seconds / cpu_best);
  std::printf("%-34s %10.2f %10.1f\n", ("  = wall on " + std::to_string(threads) + " idle cores, est.").c_str(),
              cpu_best / threads, seconds * threads / cpu_best);
  std::printf("%-34s %10.1f\n", "load average (other processes)", [] {
    double l[3] = {0, 0, 0};
    return getloadavg(l, 3) > 0 ? l[0] : 0.0;
  }());
  std::printf("%-34s %10.0f MiB\n", "peak memory (RSS, whole process)", peak_mib);
  std::printf("%-34s %10zu\n", "notes", result.notes.size());
  const double rtf = seconds / best;

  if (no_ref) {
    std::printf("\nreference skipped (--no-ref)\n");
    return 0;
  }

  // 3. The reference on the same audio (or its first --ref-seconds).
  std::printf("\nrunning the npm reference on %.0f s of the same audio (this takes a while)...\n", ref_seconds);
  std::fflush(stdout);
  auto ref = bench::run_reference(ref22, work / "ref");
  if (!ref.ok) {
    std::fprintf(stderr, "reference failed: run scripts/setup (models/node_modules with @tensorflow/tfjs)\n");
    return 1;
  }
  std::printf("%-34s %10.2f %10.2f\n", "reference model + notes", ref.audio_s / ref.rtf, ref.rtf);
  std::printf("%-34s %10.2f %10.2f\n", "reference incl. node start + load", ref.wall_s, ref.audio_s / ref.wall_s);
  std::printf("%-34s %10.0f MiB\n", "reference peak memory (RSS)", ref.peak_mib);
  std::printf("\nspeed: cadenza %.1fx real time, reference %.2fx: ratio %.0fx\n", rtf, ref.rtf, rtf / ref.rtf);
  std::printf("targets: >= 40x real time %s, >= 150x the reference %s\n", rtf >= 40 ? "MET" : "NOT MET",
              rtf / ref.rtf >= 150 ? "MET" : "NOT MET");

  // 4. Parity on the audio the reference saw.
  print_parity(tr, ref22, ref);
  bench::fs::remove_all(work);
  return 0;
}
