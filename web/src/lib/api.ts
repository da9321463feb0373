// Typed client for the Cadenza JSON API. Every error answer is {"message", "errors"?}: `errors` names the
// fields at fault (shown next to them), the message is shown as a toast.

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

// Why a job failed: the error's kind (e.g. "bad_request", "internal"), message and per-field reasons.
export interface JobError {
  kind: string;
  message: string;
  fields: Record<string, string>;
}

export interface Job {
  id: string;
  kind: string;
  state: JobState;
  priority: number;
  progress: number; // 0..1
  stage: string | null;
  attempts: number;
  error: JobError | null;
  payload: unknown;
  result: unknown;
  ownerId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Health {
  status: "ok" | "starting" | string;
  version?: string;
  uptimeSeconds?: number;
  queueDepth?: number;
  workers?: number;
}

export interface Version {
  version: string;
  commit: string;
}

export interface Session {
  token: string;
  expiresAt: string;
  profileId: string;
}

export interface SignUp {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber: string;
  password: string;
}

export interface Profile {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

export interface ProfileUpdate {
  username: string;
  firstName: string;
  lastName: string;
  phoneNumber: string;
  password?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface NewApiKey extends ApiKey {
  key: string;
}

export interface UploadedFile {
  id: string;
  size: number;
  url: string;
  expiresInSeconds: number;
}

// A conversion (POST /api/convert, /api/conversions): snake_case as the API has it.
export type Arrangement = "piano" | "transcription" | "easy";

export interface ConversionOutput {
  type: Arrangement | string;
  midiUrl: string | null;
  musicXmlUrl: string | null;
  pdfUrl: string | null;
  audioUrl: string | null; // the arrangement rendered with FluidSynth (Ogg/Opus)
}

export interface Conversion {
  uuid: string;
  job_id?: string; // its job.state / job.progress events on the WebSocket
  status: JobState;
  stage?: string;
  progress?: number;
  error?: { message: string; fields?: Record<string, string> };
  output: ConversionOutput[];
  source: string;
  user_id: string;
  is_public: boolean;
  arrangement_type: string | string[];
  song_name: string;
  audio_url?: string;
  youtube_link?: string;
  file_id?: string;
  created_at: string;
  updated_at: string;
}

export interface ConversionList {
  conversions: Conversion[];
  total: number;
  limit: number;
  offset: number;
}

export interface ConvertOptions {
  arrangements: Arrangement[];
  songName: string;
  isPublic: boolean;
  socketId: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let token: string | null = null;
// The bearer token, for requests made without request() (XMLHttpRequest uploads).
export const currentToken = (): string | null => token;
export const unauthorized = (): void => onUnauthorized?.();
let onUnauthorized: (() => void) | null = null;

// The session module sets the bearer token and what to do when the server no longer accepts it.
export function setCredentials(t: string | null, unauthorized: (() => void) | null): void {
  token = t;
  onUnauthorized = unauthorized;
}

export function parseError(status: number, statusText: string, text: string): ApiError {
  let d: { message?: unknown; errors?: unknown } = {};
  try {
    d = text ? (JSON.parse(text) as typeof d) : {};
  } catch {
    /* not JSON */
  }
  const message = typeof d.message === "string" && d.message ? d.message : `${status} ${statusText || "error"}`;
  const fields = d.errors && typeof d.errors === "object" ? (d.errors as Record<string, string>) : {};
  return new ApiError(status, message, fields);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const sent = token;
  if (sent) headers["Authorization"] = `Bearer ${sent}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "Cannot reach the server.");
  }
  const text = await res.text();
  if (!res.ok) {
    const err = parseError(res.status, res.statusText, text);
    if (res.status === 401 && sent && sent === token) onUnauthorized?.();
    throw err;
  }
  return (text ? JSON.parse(text) : null) as T;
}

// Multipart upload through XMLHttpRequest, the one browser API that reports upload progress.
export function uploadFile(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/files");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as UploadedFile);
      else reject(parseError(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, "Cannot reach the server."));
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled."));
    signal?.addEventListener("abort", () => xhr.abort());
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// A job's chunk stream (GET /api/jobs/{id}/chunks[?fromSeq=N]): the bytes as the job appends them, until
// it ends. For a player's growing stream.
export async function* jobChunks(jobId: string, fromSeq = 0): AsyncGenerator<Uint8Array> {
  const headers: Record<string, string> = {};
  if (token) headers["Authorization"] = `Bearer ${token}`;
  const res = await fetch(`/api/jobs/${encodeURIComponent(jobId)}/chunks${fromSeq ? `?fromSeq=${fromSeq}` : ""}`, { headers });
  if (!res.ok || !res.body) throw parseError(res.status, res.statusText, await res.text());
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

export const api = {
  async health(): Promise<Health> {
    try {
      return await request<Health>("GET", "/api/health");
    } catch (e) {
      // 503 {"status":"starting"} before the server is ready.
      if (e instanceof ApiError && e.status === 503) return { status: "starting" };
      throw e;
    }
  },
  version: () => request<Version>("GET", "/api/version"),
  signUp: (form: SignUp) => request<{ message: string; profileId: string }>("POST", "/api/profiles", form),
  logIn: (login: string, password: string) => request<Session>("POST", "/api/auth/login", { login, password }),
  profile: (id: string) => request<Profile>("GET", `/api/profiles/${encodeURIComponent(id)}`),
  updateProfile: (id: string, body: ProfileUpdate) =>
    request<{ message: string; profileId: string; updatedFields: string[] }>("PUT", `/api/profiles/${encodeURIComponent(id)}`, body),
  apiKeys: async () => (await request<{ apiKeys: ApiKey[] }>("GET", "/api/auth/api-keys")).apiKeys,
  createApiKey: (name: string) => request<NewApiKey>("POST", "/api/auth/api-keys", { name }),
  revokeApiKey: (id: string) => request<null>("DELETE", `/api/auth/api-keys/${encodeURIComponent(id)}`),
  jobs: () => request<{ jobs: Job[]; total: number }>("GET", "/api/jobs"),
  job: (id: string) => request<Job>("GET", `/api/jobs/${encodeURIComponent(id)}`),
  submitJob: async (kind: string, payload: unknown) => (await request<{ job: Job }>("POST", "/api/jobs", { kind, payload })).job,
  cancelJob: async (id: string) => (await request<{ job: Job }>("DELETE", `/api/jobs/${encodeURIComponent(id)}`)).job,
};

export function isFinal(state: JobState): boolean {
  return state === "succeeded" || state === "failed" || state === "cancelled";
}

export function isActive(job: Job): boolean {
  return job.state === "queued" || job.state === "running";
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
