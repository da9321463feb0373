// The generation API (projects, versions, their audio and notes): only the Create page loads it.
import { ApiError, currentToken, parseError, request, unauthorized } from "./api";

export type VersionMode = "new" | "continue" | "vary";
export type VersionStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

// What the generator is conditioned on (generate/prompt.hpp's JSON form).
export interface Controls {
  style?: string;
  key?: string;
  mode?: string;
  meter?: string;
  tempo_bpm?: number;
  bars?: number;
  seconds?: number;
  density?: number;
  energy?: number;
  valence?: number;
  instruments?: number[];
  [k: string]: unknown;
}

export interface GenVersion {
  id: string;
  projectId: string;
  parentVersionId: string | null;
  mode: VersionMode;
  prompt: string;
  controls: Controls;
  seed: number;
  status: VersionStatus;
  jobId: string;
  durationMs: number;
  chunkCount: number;
  streamUrl: string;
  chunksUrl: string;
  error?: string;
  // Bars of music (0 until it has ended); a vary version's bars sampled again (1-based, inclusive).
  barCount?: number;
  varied?: { fromBar: number; toBar: number } | null;
  // The score's PDF: made by a job when the version succeeds.
  pdf?: PdfState;
  createdAt: string;
  updatedAt: string;
}

export type PdfState = "ready" | "rendering" | "failed" | "none";

export interface Project {
  id: string;
  name: string;
  versionCount: number;
  createdAt: string;
  updatedAt: string;
  versions?: GenVersion[];
}

export interface Understood {
  control: string;
  from: string;
}

export interface NewVersion {
  versionId: string;
  jobId: string;
  status: string;
  controls: Controls;
  seed: number;
  understood: Understood[];
  nothingUsable: boolean;
  message?: string;
  streamUrl: string;
}

export interface VersionCreate {
  prompt: string;
  controls?: Controls;
  parentVersionId?: string;
  mode: VersionMode;
  bars?: number;
  // vary: the parent's bars sampled again (1-based, inclusive; both absent: the second half).
  fromBar?: number;
  toBar?: number;
  seed?: number;
}

// One stored chunk of a version's stream (GET /api/versions/{id}/chunks, or a job.chunk event without
// the bytes): the notes that start in it, in seconds on the stream's clock.
export interface StreamChunk {
  versionId?: string;
  seq: number;
  startMs?: number;
  durationMs?: number;
  last?: boolean;
  notes?: MidiNote[];
  bytes?: string;
}

export interface ChunkPage {
  versionId: string;
  status: VersionStatus;
  chunks: StreamChunk[];
  lastSeq: number;
  chunkCount: number;
  durationMs: number;
  done: boolean;
}

export type DownloadFormat = "ogg" | "wav" | "mid" | "musicxml" | "pdf";

export const isEnded = (s: VersionStatus): boolean => s !== "queued" && s !== "running";
const enc = encodeURIComponent;

// A URL an <audio> element or a download link can use: they send no Authorization header (?token=).
export function withToken(url: string): string {
  const t = currentToken();
  return t ? `${url}${url.includes("?") ? "&" : "?"}token=${enc(t)}` : url;
}
export const streamUrl = (id: string): string => withToken(`/api/versions/${enc(id)}/stream`);
export const downloadUrl = (id: string, f: DownloadFormat): string => withToken(`/api/versions/${enc(id)}/download?format=${f}`);

async function fetchBytes(id: string, f: DownloadFormat): Promise<ArrayBuffer> {
  const headers: Record<string, string> = {};
  const t = currentToken();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  const res = await fetch(`/api/versions/${enc(id)}/download?format=${f}`, { headers });
  if (!res.ok) {
    if (res.status === 401) unauthorized();
    throw parseError(res.status, res.statusText, await res.text());
  }
  return res.arrayBuffer();
}

// The PDF of a version's score: while the server renders it (202 {"status":"rendering"} with Retry-After),
// `waiting` is told and the request is made again after the delay it asks for (0.5..10 s), for at most
// `limitMs` in all. A 503 (no PDF engine on the server) or another error is thrown as an ApiError.
export async function fetchPdf(id: string, opts: { waiting?: (retryS: number) => void; signal?: AbortSignal; limitMs?: number } = {}): Promise<{ blob: Blob; filename: string }> {
  const until = Date.now() + (opts.limitMs ?? 120_000);
  for (;;) {
    const headers: Record<string, string> = { Accept: "application/pdf, application/json" };
    const t = currentToken();
    if (t) headers["Authorization"] = `Bearer ${t}`;
    let res: Response;
    try {
      res = await fetch(`/api/versions/${enc(id)}/download?format=pdf`, { headers, signal: opts.signal });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(0, "Cannot reach the server.");
    }
    if (res.status === 202) {
      await res.text();
      const ra = Number(res.headers.get("Retry-After"));
      const s = Math.min(10, Math.max(0.5, Number.isFinite(ra) && ra > 0 ? ra : 1));
      if (Date.now() + s * 1000 > until) throw new ApiError(504, "The PDF is taking too long to prepare: try again in a minute.");
      opts.waiting?.(s);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, s * 1000);
        opts.signal?.addEventListener("abort", () => (clearTimeout(timer), reject(new DOMException("aborted", "AbortError"))), { once: true });
      });
      continue;
    }
    if (!res.ok) {
      if (res.status === 401) unauthorized();
      const err = parseError(res.status, res.statusText, await res.text());
      if (res.status === 503) throw new ApiError(503, "PDF export is not available: this server has no PDF engine (LilyPond or MuseScore) installed. The MusicXML download opens in any notation program.");
      if (res.status === 409) throw new ApiError(409, `The version is still being made: its PDF comes when it has ended.`);
      throw err;
    }
    const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get("Content-Disposition") ?? "");
    let filename = `${id}.pdf`;
    try {
      if (m) filename = decodeURIComponent(m[1]);
    } catch {
      filename = m![1];
    }
    return { blob: await res.blob(), filename };
  }
}

// Saves a blob under a file name (a blob URL download).
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const createApi = {
  projects: async () => (await request<{ projects: Project[]; total: number }>("GET", "/api/projects?limit=200")).projects,
  project: (id: string) => request<Project>("GET", `/api/projects/${enc(id)}`),
  createProject: (name: string) => request<Project>("POST", "/api/projects", { name }),
  renameProject: (id: string, name: string) => request<Project>("PATCH", `/api/projects/${enc(id)}`, { name }),
  deleteProject: (id: string) => request<null>("DELETE", `/api/projects/${enc(id)}`),
  generate: (projectId: string, body: VersionCreate) => request<NewVersion>("POST", `/api/projects/${enc(projectId)}/versions`, body),
  version: (id: string) => request<GenVersion>("GET", `/api/versions/${enc(id)}`),
  cancel: (id: string) => request<GenVersion>("POST", `/api/versions/${enc(id)}/cancel`),
  musicXml: async (id: string) => new TextDecoder().decode(await fetchBytes(id, "musicxml")),
  notes: async (id: string) => parseMidi(await fetchBytes(id, "mid")),
  // The chunks after seq `after` (at most 64), waiting up to `wait` ms for one while the version is made.
  chunks: (id: string, after: number, wait: number) => request<ChunkPage>("GET", `/api/versions/${enc(id)}/chunks?after=${after}&wait=${wait}`),
};

export interface MidiNote {
  pitch: number;
  start: number; // seconds
  end: number;
  velocity: number;
}

// A Standard MIDI File's notes in seconds (every track, the tempo map applied).
export function parseMidi(buf: ArrayBuffer): MidiNote[] {
  const d = new DataView(buf);
  if (d.byteLength < 14 || d.getUint32(0) !== 0x4d546864) throw new Error("Not a MIDI file");
  const tracks = d.getUint16(10);
  const division = d.getUint16(12);
  if (division & 0x8000) throw new Error("SMPTE time division is not supported");
  type Ev = { tick: number; kind: "on" | "off" | "tempo"; pitch: number; vel: number; ch: number; tempo: number };
  const evs: Ev[] = [];
  let p = 8 + d.getUint32(4);
  for (let t = 0; t < tracks && p + 8 <= d.byteLength; t++) {
    const len = d.getUint32(p + 4);
    let i = p + 8;
    const end = Math.min(d.byteLength, i + len);
    p = i + len;
    if (d.getUint32(i - 8) !== 0x4d54726b) continue;
    let tick = 0;
    let status = 0;
    const vlq = () => {
      let v = 0;
      for (let k = 0; k < 4 && i < end; k++) {
        const b = d.getUint8(i++);
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) break;
      }
      return v;
    };
    while (i < end) {
      tick += vlq();
      let b = d.getUint8(i);
      if (b & 0x80) i++;
      else b = status;
      if (b === 0xff) {
        const type = d.getUint8(i++);
        const n = vlq();
        if (type === 0x51 && n === 3) evs.push({ tick, kind: "tempo", pitch: 0, vel: 0, ch: 0, tempo: (d.getUint8(i) << 16) | (d.getUint8(i + 1) << 8) | d.getUint8(i + 2) });
        i += n;
        continue;
      }
      if (b === 0xf0 || b === 0xf7) {
        i += vlq();
        continue;
      }
      status = b;
      const hi = b & 0xf0;
      const a1 = d.getUint8(i++);
      const a2 = hi === 0xc0 || hi === 0xd0 ? 0 : d.getUint8(i++);
      if (hi === 0x90 && a2 > 0) evs.push({ tick, kind: "on", pitch: a1, vel: a2, ch: b & 15, tempo: 0 });
      else if (hi === 0x80 || (hi === 0x90 && a2 === 0)) evs.push({ tick, kind: "off", pitch: a1, vel: 0, ch: b & 15, tempo: 0 });
    }
  }
  // Stable order: tempo first, then note-offs before note-ons at one tick.
  const rank = { tempo: 0, off: 1, on: 2 } as const;
  evs.sort((a, b) => a.tick - b.tick || rank[a.kind] - rank[b.kind]);
  let usPerQ = 500_000;
  let lastTick = 0;
  let secs = 0;
  const open = new Map<number, { start: number; vel: number }[]>();
  const out: MidiNote[] = [];
  for (const e of evs) {
    secs += ((e.tick - lastTick) * usPerQ) / division / 1e6;
    lastTick = e.tick;
    if (e.kind === "tempo") usPerQ = e.tempo || usPerQ;
    else {
      const key = e.ch * 128 + e.pitch;
      const list = open.get(key) ?? [];
      if (e.kind === "on") {
        list.push({ start: secs, vel: e.vel });
        open.set(key, list);
      } else {
        const n = list.shift();
        if (n) out.push({ pitch: e.pitch, start: n.start, end: Math.max(secs, n.start + 0.01), velocity: n.vel });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
}
