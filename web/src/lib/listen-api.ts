// The Listen pillar's API: preferences, variables and their readings, tune vectors and their plans, the
// music library, listens and recommendations (GET/POST /api/profiles/{id}/…, /api/tracks). Only the Listen
// page loads it.
import { ApiError, currentToken, parseError, request, unauthorized } from "./api";

export type PreferenceType = "genre" | "tempo" | "instrument" | "artist";
export interface TempoRange {
  minBpm: number;
  maxBpm: number;
}
export interface Preference {
  id: string;
  type: PreferenceType;
  value: string | TempoRange;
  weight: number;
  rank: number;
}

export const VARIABLES = [
  { name: "heart_rate", label: "Heart rate", unit: "bpm" },
  { name: "hrv", label: "Heart rate variability", unit: "ms" },
  { name: "ambient_noise", label: "Ambient noise", unit: "dB" },
  { name: "time_of_day", label: "Time of day", unit: "h" },
  { name: "temperature", label: "Temperature", unit: "°C" },
  { name: "rating", label: "Rating", unit: "stars" },
  { name: "location", label: "Location", unit: "lat, lon" },
  { name: "accelerometer", label: "Accelerometer", unit: "m/s²" },
] as const;
export type VariableName = (typeof VARIABLES)[number]["name"];

export interface Variable {
  id: string;
  name: VariableName;
  optedIn: boolean;
  unit: string;
  readingCount: number;
  createdAt: string;
  updatedAt: string;
}
export type ReadingValue = number | { lat: number; lon: number } | { x: number; y: number; z: number };
export interface Reading {
  value: ReadingValue;
  unit: string;
  recordedAt: string;
}

export const DIMENSIONS = ["energy", "tempo", "valence", "acousticness", "density"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
// A target point: tempo in BPM (40..220), the others 0..1.
export type Target = Partial<Record<Dimension, number>>;
export interface Waypoint {
  atMinute: number;
  target: Target;
}
export interface PlannedTrack {
  atMinute: number;
  trackId: string;
  title: string;
  artist: string;
  durationMs: number; // 0: unknown
  features: Record<Dimension, number>; // tempo in BPM
  target: Target;
  distance: number;
  step?: number;
}
export interface PlanInfo {
  summary?: { count: number; startMinute: number; endMinute: number; meanDistance: number; maxStep: number; maxStepBound: number; stepBoundKept: boolean };
  reason?: string;
  warnings?: string[];
}
export interface TuneVector {
  id: string;
  name: string;
  mode: "guided" | "adaptive";
  preset: "ascent" | "descent" | null;
  durationMinutes: number;
  waypoints: Waypoint[];
  genres: { genre: string; minutes: number }[];
  position: number;
  tracks: PlannedTrack[];
  plan: PlanInfo;
}
export interface TuneVectorCreate {
  name: string;
  mode: "guided" | "adaptive";
  preset?: "ascent" | "descent";
  durationMinutes?: number;
  waypoints?: Waypoint[];
  genres?: { genre: string; minutes: number }[];
}
export interface NextResult {
  next: PlannedTrack | null;
  reason: string;
  tracks: PlannedTrack[];
  plan: PlanInfo;
}

export interface Track {
  id: string;
  title: string;
  artist: string;
  album: string | null;
  durationMs: number | null;
  genres: string[];
  features: Record<Dimension, number>; // tempo mapped 0..1
  bpm: number | null;
  streamUrl: string | null;
}

export interface Recommendation {
  track: { id: string; title: string; artist: string; genres: string[]; features: Record<Dimension, number>; bpm: number | null; durationMs: number | null };
  score: number;
  reasons: string[];
}
// The context the scores were made for: auto (from the opted-in readings), none, or a named one.
export const CONTEXTS = ["focus", "relax", "workout", "party", "morning", "evening", "night"] as const;
export interface RecommendationContext {
  name?: string;
  targetEnergy?: number | null;
  because?: string[];
  [k: string]: unknown;
}
export interface Recommendations {
  items: Recommendation[];
  model: { version: number; trainedAt: number | string } | null; // trainedAt: epoch ms or ISO 8601
  context?: RecommendationContext;
}

export interface NewListen {
  trackId: string;
  startedAt: number; // epoch ms
  playedMs: number;
  completed?: boolean;
  skippedAtMs?: number;
  tuneVectorId?: string;
}

// Tempo in BPM mapped to 0..1 as the server measures distances ((bpm - 40) / 180).
export const tempoUnit = (bpm: number): number => Math.min(1, Math.max(0, (bpm - 40) / 180));
export const unitTempo = (u: number): number => 40 + 180 * u;

const enc = encodeURIComponent;
const base = (pid: string) => `/api/profiles/${enc(pid)}`;

// PATCH bodies are JSON Merge Patch.
async function mergePatch<T>(path: string, body: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/merge-patch+json" };
  const t = currentToken();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(path, { method: "PATCH", headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "Cannot reach the server.");
  }
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401 && t) unauthorized();
    throw parseError(res.status, res.statusText, text);
  }
  return (text ? JSON.parse(text) : null) as T;
}

// A track's audio as an object URL (the stream needs the bearer token, which an <audio> element cannot
// send); null when the server has none for it.
export async function trackAudio(id: string, signal?: AbortSignal): Promise<string | null> {
  const headers: Record<string, string> = {};
  const t = currentToken();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  const res = await fetch(`/api/tracks/${enc(id)}/stream`, { headers, signal });
  if (res.status === 404) return null;
  if (!res.ok) throw parseError(res.status, res.statusText, await res.text());
  return URL.createObjectURL(await res.blob());
}

export const listenApi = {
  preferences: async (pid: string) => (await request<{ preferences: Preference[] }>("GET", `${base(pid)}/preferences`)).preferences,
  addPreference: (pid: string, p: { type: PreferenceType; value: string | TempoRange }) => request<Preference>("POST", `${base(pid)}/preferences`, p),
  movePreference: (pid: string, id: string, rank: number) => mergePatch<Preference>(`${base(pid)}/preferences/${enc(id)}`, { rank }),
  deletePreference: (pid: string, id: string) => request<null>("DELETE", `${base(pid)}/preferences/${enc(id)}`),

  variables: async (pid: string) => (await request<{ variables: Variable[] }>("GET", `${base(pid)}/variables`)).variables,
  optIn: (pid: string, name: VariableName) => request<Variable>("POST", `${base(pid)}/variables`, { name }),
  setOptedIn: (pid: string, id: string, optedIn: boolean) => mergePatch<Variable>(`${base(pid)}/variables/${enc(id)}`, { optedIn }),
  readings: async (pid: string, id: string, limit = 50) =>
    (await request<{ readings: Reading[] }>("GET", `${base(pid)}/variables/${enc(id)}/readings?limit=${limit}`)).readings,
  addReading: (pid: string, id: string, value: ReadingValue) => request<{ accepted: number }>("POST", `${base(pid)}/variables/${enc(id)}/readings`, { value }),

  tuneVectors: async (pid: string) => (await request<{ tuneVectors: TuneVector[] }>("GET", `${base(pid)}/tune-vectors`)).tuneVectors,
  tuneVector: (pid: string, id: string) => request<TuneVector>("GET", `${base(pid)}/tune-vectors/${enc(id)}`),
  createTuneVector: (pid: string, body: TuneVectorCreate) => request<TuneVector>("POST", `${base(pid)}/tune-vectors`, body),
  deleteTuneVector: (pid: string, id: string) => request<null>("DELETE", `${base(pid)}/tune-vectors/${enc(id)}`),
  next: (pid: string, id: string, body: { playing: string; event: "played" | "skipped"; atSecond: number; readings?: Record<string, number> }) =>
    request<NextResult>("POST", `${base(pid)}/tune-vectors/${enc(id)}/next`, body),

  track: (id: string) => request<Track>("GET", `/api/tracks/${enc(id)}`),
  listen: (pid: string, l: NewListen) => request<{ accepted: number; duplicates: number }>("POST", `${base(pid)}/listens`, l),

  // 404 (not there yet, or no model) reads as no recommendations.
  async recommendations(pid: string, q: { limit?: number; genre?: string; context?: string } = {}): Promise<Recommendations> {
    const p = new URLSearchParams();
    if (q.limit) p.set("limit", String(q.limit));
    if (q.genre) p.set("genre", q.genre);
    if (q.context) p.set("context", q.context);
    const s = p.toString();
    try {
      const r = await request<Recommendations>("GET", `${base(pid)}/recommendations${s ? `?${s}` : ""}`);
      return { items: Array.isArray(r?.items) ? r.items : [], model: r?.model ?? null, context: r?.context };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { items: [], model: null };
      throw e;
    }
  },
};
