// The live channel: /api/ws?token=..., reconnecting with exponential backoff.
import type { Conversion, Job } from "./api";


export interface LiveChunk {
  versionId?: string;
  seq: number;
  startMs?: number;
  durationMs?: number;
  last?: boolean;
  notes?: { pitch: number; start: number; end: number; velocity: number }[];
}

export type LiveStatus = "connecting" | "open" | "closed";

export type ServerMessage =
  // socketId: name it as additional_data.socket_id in POST /api/convert to be told here when it ends.
  | { type: "hello"; accountId: string; socketId?: string }
  | { type: "messageFromServer"; data: Conversion }
  // seq: per job, 1, 2, 3 ... (absent on the snapshot that answers a subscribe without fromSeq)
  | { type: "job.state"; job: Job; seq?: number }
  | { type: "job.progress"; job: Job; seq?: number }
  // A piece of a job's stream was stored (a generation's audio chunk, with the notes that start in it).
  | { type: "job.chunk"; job: Job; seq?: number; chunk: LiveChunk }
  | { type: "subscribed"; jobId: string; fromSeq?: number }
  | { type: "replayed"; jobId: string; lastSeq: number; count: number }
  | { type: "error"; message: string }
  | { type: "pong" };

export interface LiveHandlers {
  onStatus(status: LiveStatus, detail: string): void;
  onMessage(msg: ServerMessage): void;
  onOpen(): void;
}

const PING_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  // The socketId of the last hello: a reconnect asks to keep it (?socketId=), so conversions that named it
  // are still told here, and those that finished while the socket was down are sent after the hello.
  private socketId: string | null = null;

  constructor(
    private readonly token: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, "bye");
      this.ws = null;
    }
    this.handlers.onStatus("closed", "signed out");
  }

  // Closes the socket as a failed network would (the retry logic then reconnects).
  dropForTest(): void {
    this.ws?.close(4000, "dropped");
  }

  // fromSeq: resume after the last seq seen (the server replays what was missed, then goes live).
  send(msg: { type: "subscribe"; jobId: string; fromSeq?: number } | { type: "ping" }): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private url(): string {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const resume = this.socketId ? `&socketId=${encodeURIComponent(this.socketId)}` : "";
    return `${scheme}//${location.host}/api/ws?token=${encodeURIComponent(this.token)}${resume}`;
  }

  private connect(): void {
    this.handlers.onStatus("connecting", this.attempt ? `retry ${this.attempt}` : "");
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.handlers.onStatus("open", "");
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.send({ type: "ping" }), PING_MS);
      this.handlers.onOpen();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      try {
        const msg = JSON.parse(ev.data) as ServerMessage;
        if (msg.type === "hello" && msg.socketId) this.socketId = msg.socketId;
        this.handlers.onMessage(msg);
      } catch {
        /* ignore malformed frames */
      }
    };
    ws.onclose = () => {
      window.clearInterval(this.pingTimer);
      this.ws = null;
      if (!this.stopped) this.scheduleRetry();
    };
    ws.onerror = () => {
      /* onclose follows and schedules the retry */
    };
  }

  private scheduleRetry(): void {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt += 1;
    this.handlers.onStatus("closed", `reconnecting in ${Math.ceil(delay / 1000)} s`);
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }
}
