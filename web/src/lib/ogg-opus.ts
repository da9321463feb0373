// A growing Ogg/Opus stream decoded as it arrives (WebCodecs AudioDecoder), for playback that starts with
// the first chunk: an <audio> element buffers a growing Ogg stream for most of a second before it plays.

export const canDecodeOpus = (): boolean => typeof AudioDecoder !== "undefined" && typeof EncodedAudioChunk !== "undefined";

// Ogg pages in, packets out (a packet may span pages).
export class OggPackets {
  private buf = new Uint8Array(0);
  private partial: Uint8Array[] = [];

  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    this.buf = joined;
    const out: Uint8Array[] = [];
    let p = 0;
    for (;;) {
      if (this.buf.length - p < 27) break;
      if (this.buf[p] !== 0x4f || this.buf[p + 1] !== 0x67 || this.buf[p + 2] !== 0x67 || this.buf[p + 3] !== 0x53) {
        // Lost sync: look for the next capture pattern.
        const next = this.find(p + 1);
        if (next < 0) {
          p = Math.max(p, this.buf.length - 3);
          break;
        }
        p = next;
        continue;
      }
      const nsegs = this.buf[p + 26];
      if (this.buf.length - p < 27 + nsegs) break;
      let body = 0;
      for (let i = 0; i < nsegs; i++) body += this.buf[p + 27 + i];
      if (this.buf.length - p < 27 + nsegs + body) break;
      let q = p + 27 + nsegs;
      for (let i = 0; i < nsegs; i++) {
        const len = this.buf[p + 27 + i];
        this.partial.push(this.buf.subarray(q, q + len));
        q += len;
        if (len < 255) {
          const total = this.partial.reduce((n, x) => n + x.length, 0);
          const pkt = new Uint8Array(total);
          let o = 0;
          for (const x of this.partial) {
            pkt.set(x, o);
            o += x.length;
          }
          this.partial = [];
          out.push(pkt);
        }
      }
      p = q;
    }
    // Keep the unread tail (copied: the packets above hold views of the old buffer).
    this.partial = this.partial.map((x) => x.slice());
    this.buf = this.buf.slice(p);
    return out;
  }

  private find(from: number): number {
    for (let i = from; i + 3 < this.buf.length; i++)
      if (this.buf[i] === 0x4f && this.buf[i + 1] === 0x67 && this.buf[i + 2] === 0x67 && this.buf[i + 3] === 0x53) return i;
    return -1;
  }
}

// An Opus packet's length in 48 kHz samples (RFC 6716 §3.1: the TOC byte and the frame count).
export function opusSamples(pkt: Uint8Array): number {
  if (!pkt.length) return 0;
  const toc = pkt[0];
  const config = toc >> 3;
  const frame =
    config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const c = toc & 3;
  const frames = c === 0 ? 1 : c === 3 ? (pkt.length > 1 ? pkt[1] & 0x3f : 0) : 2;
  return frame * frames;
}

export interface OpusHead {
  channels: number;
  preSkip: number;
  raw: Uint8Array;
}

export function parseOpusHead(pkt: Uint8Array): OpusHead | null {
  if (pkt.length < 19 || new TextDecoder().decode(pkt.subarray(0, 8)) !== "OpusHead") return null;
  return { channels: pkt[9] || 1, preSkip: pkt[10] | (pkt[11] << 8), raw: pkt };
}
