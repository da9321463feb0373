#include "cadenza/notation/lilypond_writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cadenza/core/error.hpp"
#include "cadenza/core/subprocess.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/musicxml_writer.hpp"

namespace cadenza::notation {

namespace {

std::string lily_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

std::string pitch_name(char step, int alter) {
  std::string s(1, static_cast<char>(step - 'A' + 'a'));
  if (alter < 0 && (step == 'E' || step == 'A')) {
    s += "s";  // es, as
    for (int i = 1; i < -alter; ++i) s += "es";
  } else {
    for (int i = 0; i < alter; ++i) s += "is";
    for (int i = 0; i < -alter; ++i) s += "es";
  }
  return s;
}

std::string lily_pitch(const Spelling& sp) {
  std::string s = pitch_name(sp.step, sp.alter);
  for (int o = 3; o < sp.octave; ++o) s += '\'';
  for (int o = sp.octave; o < 3; ++o) s += ',';
  return s;
}

std::string lily_duration(const Element& el) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"whole", "1"}, {"half", "2"}, {"quarter", "4"}, {"eighth", "8"}, {"16th", "16"}, {"32nd", "32"}};
  std::string d = "32";
  for (const auto& [type, lily] : kTypes)
    if (el.type == type) d = lily;
  d += std::string(static_cast<size_t>(el.dots), '.');
  if (el.triplet) d += "*2/3";
  return d;
}

std::string voice_music(const Score& score, const VoiceLine& line, const Measure& ms) {
  std::string out;
  int64_t cursor = 0;
  for (const auto& el : line.elements) {
    if (el.start > cursor) out += fmt::format("s1*{}/{} ", el.start - cursor, 4 * kDivisions);
    cursor = el.start + el.duration;
    if (el.rest) {
      if (el.type.empty()) out += fmt::format("R1*{}/{} ", ms.length, 4 * kDivisions);
      else out += "r" + lily_duration(el) + " ";
      continue;
    }
    if (el.notes.size() == 1) {
      out += lily_pitch(score.notes[el.notes[0]].spelling);
    } else {
      out += "<";
      for (size_t i = 0; i < el.notes.size(); ++i) out += (i ? " " : "") + lily_pitch(score.notes[el.notes[i]].spelling);
      out += ">";
    }
    out += lily_duration(el);
    if (el.tie_start) out += "~";
    out += " ";
  }
  return out;
}

std::string staff_music(const Score& score, int staff) {
  std::string out;
  for (size_t m = 0; m < score.measures.size(); ++m) {
    const auto& ms = score.measures[m];
    if (m > 0 && !(score.key_at(static_cast<int>(m)) == score.key_at(static_cast<int>(m) - 1))) {
      const auto key = score.key_at(static_cast<int>(m));
      const auto tonic = spell(key.minor ? (key.fifths * 7 + 9 + 120) % 12 : (key.fifths * 7 + 120) % 12, key);
      out += fmt::format("\\key {} {} ", pitch_name(tonic.step, tonic.alter), key.minor ? "\\minor" : "\\major");
    }
    std::vector<const VoiceLine*> lines;
    for (const auto& l : ms.voices)
      if (l.staff == staff) lines.push_back(&l);
    if (lines.size() == 1) out += voice_music(score, *lines[0], ms);
    else if (lines.size() >= 2) {
      out += "<< { \\voiceOne " + voice_music(score, *lines[0], ms) + "} \\new Voice { \\voiceTwo " +
             voice_music(score, *lines[1], ms) + "} >> \\oneVoice ";
    }
    out += "|\n    ";
  }
  return out;
}

}  // namespace

std::string to_lilypond(const Score& score) {
  std::string out = "\\version \"2.24.0\"\n";
  out += "\\header {\n";
  out += fmt::format("  title = \"{}\"\n", lily_escape(score.title.empty() ? "Untitled" : score.title));
  if (!score.composer.empty()) out += fmt::format("  composer = \"{}\"\n", lily_escape(score.composer));
  if (!score.arranger.empty()) out += fmt::format("  arranger = \"{}\"\n", lily_escape(score.arranger));
  out += "  tagline = ##f\n}\n";
  out += "\\paper { #(set-paper-size \"a4\") }\n";
  const auto key = score.key_at(0);
  const auto tonic = spell(key.minor ? (key.fifths * 7 + 9 + 120) % 12 : (key.fifths * 7 + 120) % 12, key);
  std::string global = fmt::format("\\key {} {} \\time {}/{} ", pitch_name(tonic.step, tonic.alter),
                                   key.minor ? "\\minor" : "\\major", score.time.beats, score.time.beat_type);
  if (!score.tempos.empty()) {
    const double bpm = score.tempos.front().bpm;
    global += score.time.compound() ? fmt::format("\\tempo 4. = {} ", static_cast<int>(bpm / 1.5 + 0.5))
                                    : fmt::format("\\tempo 4 = {} ", static_cast<int>(bpm + 0.5));
  }
  if (score.pickup > 0) global += fmt::format("\\partial 32*{} ", score.pickup / 3);
  out += "\\score {\n  \\new PianoStaff \\with { instrumentName = \"Piano\" } <<\n";
  out += "    \\new Staff = \"rh\" { \\clef treble " + global + "\n    " + staff_music(score, 1) + "\\bar \"|.\" }\n";
  out += "    \\new Staff = \"lh\" { \\clef bass " + global + "\n    " + staff_music(score, 2) + "\\bar \"|.\" }\n";
  out += "  >>\n  \\layout { }\n}\n";
  return out;
}

PdfEngine parse_pdf_engine(const std::string& name) {
  if (name == "auto") return PdfEngine::Auto;
  if (name == "musescore") return PdfEngine::MuseScore;
  if (name == "lilypond") return PdfEngine::LilyPond;
  throw Error{ErrorKind::BadRequest, "PDF engine must be auto, musescore or lilypond, not \"" + name + "\""};
}

PdfEngine pdf_engine(const PdfOptions& options) {
  if (options.engine != PdfEngine::Auto) return options.engine;
  return find_program("mscore3").empty() ? PdfEngine::LilyPond : PdfEngine::MuseScore;
}

bool pdf_engine_available(const PdfOptions& options) {
  if (!options.program.empty()) return !find_program(options.program).empty();
  return !find_program(pdf_engine(options) == PdfEngine::MuseScore ? "mscore3" : "lilypond").empty();
}

std::vector<uint8_t> render_pdf(const Score& score, const PdfOptions& options, const std::function<void()>& poll) {
  namespace fs = std::filesystem;
  const bool musescore = pdf_engine(options) == PdfEngine::MuseScore;
  const std::string program = !options.program.empty() ? options.program : musescore ? "mscore3" : "lilypond";
  const std::string name = musescore ? "MuseScore" : "LilyPond";
  std::string tmpl = (fs::temp_directory_path() / "cadenza-pdf-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw Error{ErrorKind::Internal, "cannot create a temporary directory for " + name};
  const fs::path dir = tmpl;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string log_path = (dir / "render.log").string();
  const auto pdf_path = dir / "score.pdf";
  ProcessOptions run;
  run.timeout = options.timeout;
  run.output = log_path;
  run.poll = poll;
  run.name = name;
  // The renderer's input is scratch in a directory removed afterwards: written plainly, never fsynced.
  auto write_input = [&](const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out.flush()) throw Error{ErrorKind::Internal, "cannot write " + path.string() + " for " + name};
  };
  std::vector<std::string> argv;
  if (musescore) {
    write_input(dir / "score.musicxml", to_musicxml(score));
    // No display (Qt's offscreen platform); its settings and caches go to the temporary directory, so
    // that renderers running at once never share a settings file.
    run.env = {{"QT_QPA_PLATFORM", "offscreen"}, {"HOME", dir.string()}, {"XDG_RUNTIME_DIR", dir.string()},
               {"XDG_CONFIG_HOME", (dir / "config").string()}, {"XDG_DATA_HOME", (dir / "data").string()}};
    argv = {program, "-o", pdf_path.string(), (dir / "score.musicxml").string()};
  } else {
    write_input(dir / "score.ly", to_lilypond(score));
    argv = {program, "-dno-point-and-click", "-dbackend=ps", "--pdf", "-o", (dir / "score").string(), (dir / "score.ly").string()};
  }
  const int status = run_process(argv, run);
  auto log_tail = [&] { return file_tail(log_path); };
  if (status == 127)
    throw Error{ErrorKind::Unavailable, "'" + program + "' was not found: install " +
                                            (musescore ? "MuseScore 3 (apt-get install musescore3)" : "LilyPond (apt-get install lilypond)") +
                                            " to render PDF"};
  if (status != 0) throw Error{ErrorKind::Internal, name + " failed: " + log_tail()};
  std::ifstream pdf(pdf_path, std::ios::binary);
  if (!pdf) throw Error{ErrorKind::Internal, name + " wrote no PDF: " + log_tail()};
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(pdf)), std::istreambuf_iterator<char>());
}

}  // namespace cadenza::notation
