#include "cadenza/notation/musicxml_writer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace cadenza::notation {

namespace {

const char* accidental_name(int alter) {
  switch (alter) {
    case -2: return "flat-flat";
    case -1: return "flat";
    case 1: return "sharp";
    case 2: return "double-sharp";
    default: return "natural";
  }
}

// Alteration implied by a key signature for a step.
int key_alter(const KeySignature& key, char step) {
  static constexpr char kSharps[] = "FCGDAEB";
  static constexpr char kFlats[] = "BEADGCF";
  for (int i = 0; i < key.fifths; ++i)
    if (kSharps[i] == step) return 1;
  for (int i = 0; i < -key.fifths; ++i)
    if (kFlats[i] == step) return -1;
  return 0;
}

void write_key(std::string& out, const KeySignature& key) {
  out += fmt::format("        <key><fifths>{}</fifths><mode>{}</mode></key>\n", key.fifths, key.minor ? "minor" : "major");
}

std::string today() {
  const auto now = std::chrono::system_clock::now();
  const auto days = std::chrono::floor<std::chrono::days>(now);
  const std::chrono::year_month_day ymd{days};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

std::string to_musicxml(const Score& score) {
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
  out += "<!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" "
         "\"http://www.musicxml.org/dtds/partwise.dtd\">\n";
  out += "<score-partwise version=\"4.0\">\n";
  const std::string title = score.title.empty() ? "Untitled" : score.title;
  out += fmt::format("  <work><work-title>{}</work-title></work>\n", xml_escape(title));
  out += fmt::format("  <movement-title>{}</movement-title>\n", xml_escape(title));
  out += "  <identification>\n";
  if (!score.composer.empty()) out += fmt::format("    <creator type=\"composer\">{}</creator>\n", xml_escape(score.composer));
  if (!score.arranger.empty()) out += fmt::format("    <creator type=\"arranger\">{}</creator>\n", xml_escape(score.arranger));
  out += fmt::format("    <encoding>\n      <software>Cadenza</software>\n      <encoding-date>{}</encoding-date>\n"
                     "    </encoding>\n", today());
  out += "  </identification>\n";
  out += "  <part-list>\n    <score-part id=\"P1\">\n      <part-name>Piano</part-name>\n"
         "      <score-instrument id=\"P1-I1\"><instrument-name>Piano</instrument-name></score-instrument>\n"
         "      <midi-instrument id=\"P1-I1\"><midi-channel>1</midi-channel><midi-program>1</midi-program></midi-instrument>\n"
         "    </score-part>\n  </part-list>\n";
  out += "  <part id=\"P1\">\n";

  // Tempo marks by measure.
  std::map<size_t, double> tempo_at;
  for (const auto& t : score.tempos) {
    for (size_t m = 0; m < score.measures.size(); ++m) {
      const auto& ms = score.measures[m];
      if (t.at >= ms.start && t.at < ms.start + ms.length) {
        tempo_at[m] = t.bpm;
        break;
      }
    }
  }
  const bool compound = score.time.compound();
  // Accidental state carried into the next bar for cautionary accidentals: (staff, step, octave).
  std::set<std::tuple<int, char, int>> altered_last_bar;
  for (size_t m = 0; m < score.measures.size(); ++m) {
    const auto& ms = score.measures[m];
    const KeySignature key = score.key_at(static_cast<int>(m));
    out += fmt::format("    <measure number=\"{}\"{}>\n", ms.number, ms.pickup ? " implicit=\"yes\"" : "");
    const bool key_change = m > 0 && !(score.key_at(static_cast<int>(m) - 1) == key);
    if (m == 0 || key_change) {
      out += "      <attributes>\n";
      if (m == 0) out += fmt::format("        <divisions>{}</divisions>\n", kDivisions);
      write_key(out, key);
      if (m == 0) {
        out += fmt::format("        <time><beats>{}</beats><beat-type>{}</beat-type></time>\n", score.time.beats, score.time.beat_type);
        out += "        <staves>2</staves>\n";
        out += "        <clef number=\"1\"><sign>G</sign><line>2</line></clef>\n";
        out += "        <clef number=\"2\"><sign>F</sign><line>4</line></clef>\n";
      }
      out += "      </attributes>\n";
    }
    if (auto it = tempo_at.find(m); it != tempo_at.end()) {
      const double bpm = it->second;
      const double shown = compound ? bpm / 1.5 : bpm;
      out += "      <direction placement=\"above\">\n        <direction-type>\n          <metronome>\n";
      out += fmt::format("            <beat-unit>quarter</beat-unit>{}\n            <per-minute>{}</per-minute>\n",
                         compound ? "<beat-unit-dot/>" : "", static_cast<int>(std::lround(shown)));
      out += "          </metronome>\n        </direction-type>\n        <staff>1</staff>\n";
      out += fmt::format("        <sound tempo=\"{:.2f}\"/>\n      </direction>\n", bpm);
    }
    std::map<std::tuple<int, char, int>, int> state;  // (staff, step, octave) -> alter shown in this bar
    bool first_line = true;
    for (const auto& line : ms.voices) {
      if (!first_line) out += fmt::format("      <backup><duration>{}</duration></backup>\n", ms.length);
      first_line = false;
      int64_t cursor = 0;
      const int voice_number = line.staff == 1 ? line.voice : 4 + line.voice;
      for (const auto& el : line.elements) {
        if (el.start > cursor) {
          out += fmt::format("      <forward><duration>{}</duration><voice>{}</voice><staff>{}</staff></forward>\n",
                             el.start - cursor, voice_number, line.staff);
        }
        cursor = el.start + el.duration;
        const size_t count = el.rest ? 1 : el.notes.size();
        for (size_t c = 0; c < count; ++c) {
          out += "      <note>\n";
          if (c > 0) out += "        <chord/>\n";
          const ScoreNote* note = el.rest ? nullptr : &score.notes[el.notes[c]];
          if (el.rest) {
            out += el.type.empty() ? "        <rest measure=\"yes\"/>\n" : "        <rest/>\n";
          } else {
            const auto& sp = note->spelling;
            out += fmt::format("        <pitch><step>{}</step>{}<octave>{}</octave></pitch>\n", sp.step,
                               sp.alter ? fmt::format("<alter>{}</alter>", sp.alter) : "", sp.octave);
          }
          out += fmt::format("        <duration>{}</duration>\n", el.duration);
          if (el.tie_stop) out += "        <tie type=\"stop\"/>\n";
          if (el.tie_start) out += "        <tie type=\"start\"/>\n";
          out += fmt::format("        <voice>{}</voice>\n", voice_number);
          if (!el.type.empty()) out += fmt::format("        <type>{}</type>\n", el.type);
          for (int d = 0; d < el.dots; ++d) out += "        <dot/>\n";
          if (note) {
            const auto& sp = note->spelling;
            const auto where = std::make_tuple(line.staff, sp.step, sp.octave);
            int expected = key_alter(key, sp.step);
            if (auto it = state.find(where); it != state.end()) expected = it->second;
            if (!el.tie_stop) {
              bool cautionary = false;
              if (sp.alter == expected) {
                // Same step altered elsewhere in this bar, or this spot altered in the last bar.
                for (const auto& [k, alter] : state)
                  if (std::get<0>(k) == line.staff && std::get<1>(k) == sp.step && std::get<2>(k) != sp.octave && alter != sp.alter) cautionary = true;
                if (altered_last_bar.count(where) && !state.count(where)) cautionary = true;
              }
              if (sp.alter != expected) {
                out += fmt::format("        <accidental>{}</accidental>\n", accidental_name(sp.alter));
              } else if (cautionary) {
                out += fmt::format("        <accidental cautionary=\"yes\" parentheses=\"yes\">{}</accidental>\n", accidental_name(sp.alter));
              }
              state[where] = sp.alter;
            }
          }
          if (el.triplet) out += "        <time-modification><actual-notes>3</actual-notes><normal-notes>2</normal-notes></time-modification>\n";
          out += fmt::format("        <staff>{}</staff>\n", line.staff);
          if (!el.beam.empty() && c == 0) out += fmt::format("        <beam number=\"1\">{}</beam>\n", el.beam);
          if (el.tie_start || el.tie_stop) {
            out += "        <notations>\n";
            if (el.tie_stop) out += "          <tied type=\"stop\"/>\n";
            if (el.tie_start) out += "          <tied type=\"start\"/>\n";
            out += "        </notations>\n";
          }
          out += "      </note>\n";
        }
      }
      if (cursor < ms.length) {
        out += fmt::format("      <forward><duration>{}</duration><voice>{}</voice><staff>{}</staff></forward>\n",
                           ms.length - cursor, voice_number, line.staff);
      }
    }
    // Spots left altered at the end of the bar get a cautionary accidental in the next one.
    altered_last_bar.clear();
    for (const auto& [k, alter] : state)
      if (alter != key_alter(key, std::get<1>(k))) altered_last_bar.insert(k);
    if (m + 1 == score.measures.size()) out += "      <barline location=\"right\"><bar-style>light-heavy</bar-style></barline>\n";
    out += "    </measure>\n";
  }
  out += "  </part>\n</score-partwise>\n";
  return out;
}

}  // namespace cadenza::notation
