// The notes of a version while it is made, as its chunks are stored: each chunk carries the notes that
// start in it (seconds on the stream's clock). They come from the live channel's job.chunk events (the
// account's own jobs' events come without asking; a subscribe from seq 0 brings again what this socket
// missed), or, where the socket is not open or lags behind the stored chunks, from the chunks long poll
// (GET /api/versions/{id}/chunks?after=N&wait=MS). Each chunk counts once, whichever way it came.
import { createApi, type MidiNote, type StreamChunk } from "./create-api";
import { live, onJobChunks, replayJob } from "./session.svelte";

export class NoteFeed {
  private seen = new Set<number>();
  private maxSeq = 0;
  private notes: MidiNote[] = [];
  private off: (() => void) | null = null;
  private polling = false;
  private stopped = false;
  private lastEvent = 0;
  private lastSeen = false;

  constructor(
    private readonly versionId: string,
    private readonly jobId: string,
    // Every time notes came: all of them so far (a new array), and whether the last chunk was among them.
    private readonly onNotes: (notes: MidiNote[], complete: boolean) => void,
  ) {}

  start(): void {
    this.lastEvent = performance.now();
    if (this.jobId && live.status === "open") {
      this.off = onJobChunks(this.jobId, (c) => {
        this.lastEvent = performance.now();
        this.take([c]);
      });
      replayJob(this.jobId);
    } else {
      void this.poll();
    }
  }

  stop(): void {
    this.stopped = true;
    this.off?.();
    this.off = null;
  }

  // What the version's state says was stored: chunks missing between those seen (the socket dropped a
  // while), or a socket that stays behind the store for a second, are fetched with the long poll (which
  // goes on only while the socket does not keep up); so is what is missing once the version has ended.
  sync(chunkCount: number, ended: boolean): void {
    if (this.stopped || this.polling) return;
    if (chunkCount - this.seen.size <= 0) return;
    const holes = this.seen.size < this.maxSeq;
    if (ended || holes || (chunkCount - this.seen.size >= 3 && performance.now() - this.lastEvent > 1000)) void this.poll();
  }

  // The version has ended with `chunkCount` chunks: resolves once every one has come (the long poll
  // fetches those the socket has not brought yet), or after `timeoutMs`.
  async finish(chunkCount: number, timeoutMs = 3000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!this.stopped && this.seen.size < chunkCount && performance.now() < until) {
      if (!this.polling) void this.poll();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private take(chunks: StreamChunk[]): void {
    let added = false;
    let outOfOrder = false;
    for (const c of chunks) {
      if (this.stopped || typeof c.seq !== "number" || this.seen.has(c.seq)) continue;
      if (c.versionId && c.versionId !== this.versionId) continue;
      this.seen.add(c.seq);
      if (c.seq < this.maxSeq) outOfOrder = true;
      this.maxSeq = Math.max(this.maxSeq, c.seq);
      if (c.last) this.lastSeen = true;
      for (const n of c.notes ?? []) {
        if (typeof n.pitch !== "number" || typeof n.start !== "number") continue;
        this.notes.push({ pitch: n.pitch, start: n.start, end: Math.max(n.end, n.start + 0.01), velocity: n.velocity ?? 96 });
        added = true;
      }
      if (!c.notes?.length) added = true; // still news: the chunk count moved
    }
    if (!added) return;
    if (outOfOrder) this.notes.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
    this.onNotes(this.notes.slice(), this.lastSeen && this.seen.size === this.maxSeq);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    // After the first gap: what came (by either path) before it is not asked for again.
    let after = 0;
    while (this.seen.has(after + 1)) after += 1;
    try {
      for (;;) {
        if (this.stopped) return;
        const page = await createApi.chunks(this.versionId, after, 10_000);
        this.take(page.chunks);
        after = Math.max(after, page.lastSeq);
        if (page.done || (!page.chunks.length && page.status !== "queued" && page.status !== "running")) return;
        // Caught up, and the socket brings the rest.
        if (this.off && live.status === "open" && this.seen.size === this.maxSeq && after >= this.maxSeq && performance.now() - this.lastEvent < 1000) return;
      }
    } catch {
      /* the version went away, or the network: the notes come from the MIDI file when it has ended */
    } finally {
      this.polling = false;
    }
  }
}
