// Typed client for the Cadenza JSON API. Every error answer is {"message", "errors"?}.

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
  progress: number;
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
}

export interface SignUp {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  phoneNumber: string;
  password: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const SESSION_KEY = "cadenza.session";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.token) return null;
    if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) {
      localStorage.removeItem(SESSION_KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

export function isActive(job: Job): boolean {
  return job.state === "queued" || job.state === "running";
}

async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "Cannot reach the server.");
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const d = (data ?? {}) as { message?: unknown; errors?: unknown };
    const message = typeof d.message === "string" && d.message ? d.message : `${res.status} ${res.statusText || "error"}`;
    const errors = d.errors && typeof d.errors === "object" ? (d.errors as Record<string, string>) : {};
    throw new ApiError(res.status, message, errors);
  }
  return { status: res.status, data: data as T };
}

export const api = {
  async health(): Promise<Health> {
    try {
      return (await request<Health>("GET", "/api/health")).data;
    } catch (e) {
      // 503 {"status":"starting"} before the server is ready.
      if (e instanceof ApiError && e.status === 503) return { status: "starting" };
      throw e;
    }
  },
  async version(): Promise<Version> {
    return (await request<Version>("GET", "/api/version")).data;
  },
  async signUp(form: SignUp): Promise<{ message: string; profileId: string }> {
    return (await request<{ message: string; profileId: string }>("POST", "/api/profiles", form)).data;
  },
  async logIn(login: string, password: string): Promise<Session> {
    return (await request<Session>("POST", "/api/auth/login", { login, password })).data;
  },
  async jobs(token: string): Promise<{ jobs: Job[]; total: number }> {
    return (await request<{ jobs: Job[]; total: number }>("GET", "/api/jobs", undefined, token)).data;
  },
  async runDemo(token: string): Promise<Job> {
    const body = { kind: "demo", payload: { steps: 20, stepMs: 200 } };
    return (await request<{ job: Job }>("POST", "/api/jobs", body, token)).data.job;
  },
  async cancel(token: string, id: string): Promise<Job> {
    return (await request<{ job: Job }>("DELETE", `/api/jobs/${encodeURIComponent(id)}`, undefined, token)).data.job;
  },
};
