#!/usr/bin/env bash
# Scan speed of `cadenza import library`: renders N Nottingham tunes (../shared/datasets/nottingham/MIDI) with
# FluidSynth (half of them in minor by their ABC key) into a temporary library (a third each as WAV, FLAC and Ogg/Vorbis through sox, 44.1 kHz stereo),
# then times a first scan with the transcriber's mode (library.transcribe_s=30), the same with the chroma's
# (--transcribe-seconds 0, a fresh data directory), and a re-scan that has nothing to read. Prints files per
# second and seconds of audio per second for each.
#   bench/library_scan.sh [N=40] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}
THREADS=${2:-2}
BIN=${CADENZA_BIN:-build/cadenza}
MIDI=../shared/datasets/nottingham/MIDI
SF2=/usr/share/sounds/sf2/FluidR3_GM.sf2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/music"
abc=../shared/datasets/nottingham/ABC_cleaned
# Every tune's name (the MIDI file's: ABC file + X number) and mode from its K: field (dorian, phrygian, aeolian
# and minor count as minor, the rest as major).
for f in "$abc"/*.abc; do
  awk -v F="$(basename "$f" .abc)" '/^X:/{x=$0; sub(/^X: */,"",x)} /^K:/{k=tolower($0); sub(/^k: */,"",k); sub(/^[a-g][#b]?/,"",k);
    print F x, (k ~ /^(m|min|dor|phr|aeo)/) ? "minor" : "major"}' "$f"
done | while read -r name mode; do [ -f "$MIDI/$name.mid" ] && echo "$name $mode"; done | sort > "$work/modes.txt"
# Half the library in minor, half in major, so that the mode's agreement says something.
{ grep ' minor$' "$work/modes.txt" | head -n $((N / 2)); grep ' major$' "$work/modes.txt" | head -n $((N - N / 2)); } > "$work/picked.txt"
i=0
for name in $(cut -d' ' -f1 "$work/picked.txt"); do
  mid="$MIDI/$name.mid"
  fluidsynth -ni -q -g 0.6 -r 44100 -F "$work/$name.wav" "$SF2" "$mid" >/dev/null 2>&1
  case $((i % 3)) in
    0) mv "$work/$name.wav" "$work/music/$name.wav" ;;
    1) sox "$work/$name.wav" "$work/music/$name.flac" && rm "$work/$name.wav" ;;
    2) sox "$work/$name.wav" -C 5 "$work/music/$name.ogg" && rm "$work/$name.wav" ;;
  esac
  i=$((i + 1))
done
echo "library: $(ls "$work/music" | wc -l) files rendered of $N picked, $(du -sh "$work/music" | cut -f1) in $work/music"
run() {  # label, data dir, extra args
  local label=$1 data=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  "$BIN" import library "$work/music" --data-dir "$data" --threads "$THREADS" "$@" | tee "$work/out.txt" | sed 's/^/  /'
  end=$(date +%s.%N)
  echo "$label: $(echo "$end - $start" | bc) s wall, the process included"
}
run "first scan, mode from the transcriber (30 s)" "$work/data1" --transcribe-seconds 30
run "first scan, mode from the chroma" "$work/data2" --transcribe-seconds 0
run "re-scan, nothing changed" "$work/data1" --transcribe-seconds 30

# The mode against the tunes' ABC key.
for data in data1 data2; do
  total=0 agree=0
  while IFS='|' read -r path major; do
    name=$(basename "$path"); name=${name%.*}
    want=$(grep "^$name " "$work/picked.txt" | cut -d' ' -f2)
    got=minor; [ "$major" = 1 ] && got=major
    total=$((total + 1)); [ "$got" = "$want" ] && agree=$((agree + 1))
  done < <(sqlite3 "$work/$data"/tenants/*.db "SELECT path, json_extract(features, '$.major') FROM library_files")
  label=transcriber; [ "$data" = data2 ] && label=chroma
  echo "mode from the $label: $agree of $total agree with the ABC key's mode ($((N / 2)) minor, $((N - N / 2)) major)"
done
