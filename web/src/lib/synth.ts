// The General MIDI synth (spessasynth_lib, an AudioWorklet) with the soundfont the server serves from
// Debian's fluid-soundfont-gm (GET /soundfonts/default.sf2). Loaded on first use, once per page view:
// the library and the soundfont never weigh on the first page.
import processorUrl from "spessasynth_lib/dist/spessasynth_processor.min.js?url";

export const SOUNDFONT_URL = "/soundfonts/default.sf2";

export interface Synth {
  context: AudioContext;
  play(midi: ArrayBuffer): void;
  pause(): void;
  resume(): void;
  stop(): void;
  seek(seconds: number): void;
  readonly currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
}

let loading: Promise<Synth> | null = null;

export function loadSynth(onProgress?: (loaded: number, total: number) => void): Promise<Synth> {
  loading ??= (async () => {
    const [{ WorkletSynthesizer, Sequencer }, bank] = await Promise.all([import("spessasynth_lib"), fetchSoundfont(onProgress)]);
    const context = new AudioContext();
    await context.audioWorklet.addModule(processorUrl);
    const synth = new WorkletSynthesizer(context);
    synth.connect(context.destination);
    await synth.isReady;
    await synth.soundBankManager.addSoundBank(bank, "gm");
    const seq = new Sequencer(synth);
    seq.loopCount = 0;
    return {
      context,
      play(midi: ArrayBuffer) {
        void context.resume();
        seq.loadNewSongList([{ binary: midi, fileName: "score.mid" }]);
        seq.currentTime = 0;
        seq.play();
      },
      pause: () => seq.pause(),
      resume() {
        void context.resume();
        seq.play();
      },
      stop() {
        seq.pause();
        seq.currentTime = 0;
      },
      seek(s: number) {
        seq.currentTime = s;
      },
      get currentTime() {
        return seq.currentTime;
      },
      get duration() {
        return seq.duration;
      },
      get paused() {
        return seq.paused;
      },
    };
  })();
  loading.catch(() => (loading = null));
  return loading;
}

async function fetchSoundfont(onProgress?: (loaded: number, total: number) => void): Promise<ArrayBuffer> {
  const res = await fetch(SOUNDFONT_URL);
  if (!res.ok) throw new Error(res.status === 404 ? "The server has no soundfont installed (fluid-soundfont-gm)." : `soundfont: ${res.status}`);
  const total = Number(res.headers.get("content-length") ?? 0);
  if (!res.body || !onProgress) return res.arrayBuffer();
  const reader = res.body.getReader();
  const buf = new Uint8Array(total || 0);
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total && loaded + value.length <= total) buf.set(value, loaded);
    else parts.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  if (total && loaded === total && !parts.length) return buf.buffer;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of [buf.subarray(0, Math.min(loaded, total)), ...parts]) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

export function base64ToArrayBuffer(b64: string): ArrayBuffer {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}
