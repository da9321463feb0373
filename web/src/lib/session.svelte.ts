// The signed-in session: token (localStorage), the live channel (WebSocket /api/ws, reconnecting) and
// the account's jobs as the live channel reports them.
import { api, isActive, setCredentials, type Conversion, type Job, type Session } from "./api";
import { LiveSocket, type LiveChunk, type LiveStatus, type ServerMessage } from "./live";
import { navigate } from "./router.svelte";
import { toast } from "./toasts.svelte";

const SESSION_KEY = "cadenza.session";

function load(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.token || !s.profileId) return null;
    if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

export const session = $state<{ current: Session | null }>({ current: null });
// socketId: this connection's, from its hello (a new one after each reconnect).
export const live = $state<{ status: LiveStatus; detail: string; socketId: string | null }>({ status: "closed", detail: "", socketId: null });
// Jobs by id, newest first when listed; `loaded` once the first list came back.
export const jobs = $state<{ byId: Record<string, Job>; total: number; loaded: boolean }>({ byId: {}, total: 0, loaded: false });

let socket: LiveSocket | null = null;

// Listeners for conversions: a finished conversion (messageFromServer) and any convert job's event.
type ConversionListener = { done?: (c: Conversion) => void; job?: (j: Job) => void };
const conversionListeners = new Set<ConversionListener>();
export function onConversionEvents(l: ConversionListener): () => void {
  conversionListeners.add(l);
  return () => conversionListeners.delete(l);
}
// A job's stream chunks (job.chunk events: a generation's chunks with their notes), as they come. The
// chunks of the last few jobs are kept, so a listener added after the first events (a version's page that
// got its job id from the POST answer after the job had started) still hears every one.
type ChunkListener = (c: LiveChunk) => void;
const chunkListeners = new Map<string, Set<ChunkListener>>();
const chunkLog = new Map<string, LiveChunk[]>();
const CHUNK_LOG_JOBS = 8;
export function onJobChunks(jobId: string, l: ChunkListener): () => void {
  let set = chunkListeners.get(jobId);
  if (!set) chunkListeners.set(jobId, (set = new Set()));
  set.add(l);
  for (const c of chunkLog.get(jobId) ?? []) l(c);
  return () => {
    set.delete(l);
    if (!set.size) chunkListeners.delete(jobId);
  };
}
// Asks the server for a job's stored events this connection has not had (from its start): a job.chunk
// missed while the socket was down comes again.
export function replayJob(jobId: string): boolean {
  if (live.status !== "open" || !socket) return false;
  socket.send({ type: "subscribe", jobId, fromSeq: 0 });
  return true;
}
function gotChunk(jobId: string, c: LiveChunk): void {
  let log = chunkLog.get(jobId);
  if (!log) {
    chunkLog.set(jobId, (log = []));
    while (chunkLog.size > CHUNK_LOG_JOBS) chunkLog.delete(chunkLog.keys().next().value as string);
  }
  log.push(c);
  for (const l of chunkListeners.get(jobId) ?? []) l(c);
}
// The last event seq seen per job: events at or below it are old news, and a reconnect resumes after it.
const lastSeq = new Map<string, number>();

export function sortedJobs(): Job[] {
  return Object.values(jobs.byId).sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
}

export function upsertJob(job: Job): void {
  const old = jobs.byId[job.id];
  // Progress frames may overtake the final state frame: never go back from a final state.
  if (old && !isActive(old) && isActive(job)) return;
  if (!old) jobs.total += 1;
  jobs.byId[job.id] = job;
}

export function subscribe(jobId: string): void {
  const from = lastSeq.get(jobId);
  socket?.send(from === undefined ? { type: "subscribe", jobId } : { type: "subscribe", jobId, fromSeq: from });
}

export async function refreshJobs(): Promise<void> {
  if (!session.current) return;
  try {
    const r = await api.jobs();
    const byId: Record<string, Job> = {};
    for (const j of r.jobs) byId[j.id] = j;
    jobs.byId = byId;
    jobs.total = r.total;
    jobs.loaded = true;
    for (const j of r.jobs) if (isActive(j)) subscribe(j.id);
  } catch (e) {
    if (session.current) toast("error", (e as Error).message);
  }
}

function onLive(msg: ServerMessage): void {
  switch (msg.type) {
    case "job.state":
    case "job.progress":
      if (!msg.job || !msg.job.id) break;
      if (msg.seq !== undefined) {
        if (msg.seq <= (lastSeq.get(msg.job.id) ?? 0)) break;
        lastSeq.set(msg.job.id, msg.seq);
      }
      upsertJob(msg.job);
      if (msg.job.kind === "convert") for (const l of conversionListeners) l.job?.(msg.job);
      break;
    case "job.chunk":
      if (msg.job?.id && msg.chunk && typeof msg.chunk.seq === "number") gotChunk(msg.job.id, msg.chunk);
      break;
    case "hello":
      live.socketId = msg.socketId ?? null;
      break;
    case "messageFromServer":
      if (msg.data && msg.data.uuid) for (const l of conversionListeners) l.done?.(msg.data);
      break;
    case "error":
      toast("error", msg.message);
      break;
    default:
      break;
  }
}

function startLive(token: string): void {
  socket?.stop();
  socket = new LiveSocket(token, {
    onStatus: (status, detail) => {
      live.status = status;
      live.detail = detail;
      if (status !== "open") live.socketId = null;
    },
    onMessage: onLive,
    // (Re)connected: catch up on anything missed while the socket was down.
    onOpen: () => void refreshJobs(),
  });
  socket.start();
}

function begin(s: Session): void {
  session.current = s;
  setCredentials(s.token, () => signOut("Your session has ended. Please log in again."));
  startLive(s.token);
}

export function signIn(s: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  begin(s);
}

export function signOut(message?: string): void {
  socket?.stop();
  socket = null;
  localStorage.removeItem(SESSION_KEY);
  session.current = null;
  setCredentials(null, null);
  jobs.byId = {};
  jobs.total = 0;
  jobs.loaded = false;
  lastSeq.clear();
  chunkLog.clear();
  if (message) toast("info", message);
  navigate("/login");
}

// The browser tests prove the reconnect by dispatching this event: the socket closes as a network
// failure would close it.
addEventListener("cadenza:drop-live", () => socket?.dropForTest());

const stored = load();
if (stored) begin(stored);
else localStorage.removeItem(SESSION_KEY);
