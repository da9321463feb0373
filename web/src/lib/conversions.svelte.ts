// Conversions followed live: each tracked conversion is re-read (GET /api/conversions/{uuid}) when a
// convert job of the account reports over the WebSocket, and every POLL_MS while it is queued or
// running (the conversion does not name its job, so events only say "something moved"); the socket's
// messageFromServer carries the finished conversion. The stages seen are kept in order, for the page.
import { isFinal, type Conversion } from "./api";
import { conversionsApi } from "./conversions-api";
import { onConversionEvents, session } from "./session.svelte";

const POLL_MS = 600;

export interface Tracked {
  c: Conversion;
  stages: string[];
  at: number; // when it was last read: its links are signed and expire
}
// A finished conversion read longer ago than this is read again before its links are shown.
export const FRESH_MS = 10 * 60_000;

export const tracked = $state<Record<string, Tracked>>({});
// The conversion the Sheet music page shows under its form (kept while the visitor looks elsewhere).
export const current = $state<{ uuid: string | null }>({ uuid: null });

const inFlight = new Set<string>();
const again = new Set<string>();
let timer: number | undefined;
let owner: string | null = null;

function reset(): void {
  for (const k of Object.keys(tracked)) delete tracked[k];
  current.uuid = null;
}

// Conversions are the signed-in account's: a sign-out (or another account) starts afresh.
function checkOwner(): void {
  const who = session.current?.profileId ?? null;
  if (who !== owner) {
    owner = who;
    reset();
  }
}

export function track(c: Conversion): Tracked {
  checkOwner();
  const t = tracked[c.uuid];
  if (!t) {
    tracked[c.uuid] = { c, stages: c.stage ? [c.stage] : [], at: Date.now() };
  } else {
    // An older answer never takes a final state back.
    if (isFinal(t.c.status) && !isFinal(c.status)) return t;
    t.c = c;
    t.at = Date.now();
    if (c.stage && t.stages[t.stages.length - 1] !== c.stage) t.stages.push(c.stage);
  }
  schedule();
  return tracked[c.uuid];
}

export function forget(uuid: string): void {
  delete tracked[uuid];
  if (current.uuid === uuid) current.uuid = null;
}

async function refresh(uuid: string): Promise<void> {
  if (inFlight.has(uuid)) {
    again.add(uuid);
    return;
  }
  inFlight.add(uuid);
  try {
    const c = await conversionsApi.conversion(uuid);
    if (tracked[uuid]) track(c);
  } catch {
    /* the next poll tries again; a deleted one stays as it was */
  } finally {
    inFlight.delete(uuid);
    if (again.delete(uuid) && tracked[uuid] && !isFinal(tracked[uuid].c.status)) void refresh(uuid);
  }
}

function active(): string[] {
  return Object.values(tracked)
    .filter((t) => !isFinal(t.c.status))
    .map((t) => t.c.uuid);
}

function schedule(): void {
  if (timer !== undefined || !active().length) return;
  timer = window.setTimeout(() => {
    timer = undefined;
    if (!session.current) return;
    for (const uuid of active()) void refresh(uuid);
    schedule();
  }, POLL_MS);
}

onConversionEvents({
  job: (job) => {
    // A stage that an event names is shown at once (a quick stage may be over before the next read).
    for (const t of Object.values(tracked)) {
      if (t.c.job_id !== job.id || isFinal(t.c.status) || !job.stage) continue;
      if (t.stages[t.stages.length - 1] !== job.stage) t.stages.push(job.stage);
    }
    for (const uuid of active()) void refresh(uuid);
  },
  done: (c) => {
    if (tracked[c.uuid]) track(c);
  },
});

export const ARRANGEMENTS = [
  { id: "piano", label: "Piano", hint: "a playable two-hand arrangement" },
  { id: "transcription", label: "Transcription", hint: "every note heard, as played" },
  { id: "easy", label: "Easy piano", hint: "simplified for beginners" },
] as const;

export function arrangementLabel(type: string): string {
  return ARRANGEMENTS.find((a) => a.id === type)?.label ?? type;
}

export function arrangementsOf(c: Conversion): string[] {
  return Array.isArray(c.arrangement_type) ? c.arrangement_type : [c.arrangement_type];
}

export function when(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleString();
}

// Gallery entries as the list answered them: a public conversion opens from here (signed out, the
// gallery list is the one way to read it). Older than GALLERY_FRESH_MS, it is read again (signed links).
export const GALLERY_FRESH_MS = 10 * 60_000;
export const galleryCache = new Map<string, { c: Conversion; at: number }>();
export function remember(list: Conversion[]): void {
  const at = Date.now();
  for (const c of list) galleryCache.set(c.uuid, { c, at });
}
