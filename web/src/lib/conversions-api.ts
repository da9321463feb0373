// The conversions API (POST /api/convert, /api/conversions): only the Sheet music pages load it.
import { ApiError, currentToken, parseError, request, unauthorized, type Conversion, type ConversionList, type ConvertOptions } from "./api";

// POST /api/convert as a form with the audio as its `file` part (XMLHttpRequest, for upload progress).
export function convertFile(file: File, o: ConvertOptions, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<Conversion> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/convert");
    const token = currentToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as Conversion);
      else {
        if (xhr.status === 401) unauthorized();
        reject(parseError(xhr.status, xhr.statusText, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "Cannot reach the server."));
    xhr.onabort = () => reject(new ApiError(0, "Upload cancelled."));
    signal?.addEventListener("abort", () => xhr.abort());
    const form = new FormData();
    form.append("source", "web_frontend");
    form.append("arrangement_type", o.arrangements.join(","));
    form.append("is_public", o.isPublic ? "true" : "false");
    if (o.songName.trim()) form.append("song_name", o.songName.trim());
    if (o.socketId) form.append("additional_data", JSON.stringify({ socket_id: o.socketId }));
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// youtube.com, m.youtube.com, music.youtube.com, youtu.be: such a link goes as youtube_link (yt-dlp).
export function isYouTube(url: string): boolean {
  try {
    const h = new URL(url).hostname.toLowerCase().replace(/^www\./, "");
    return h === "youtu.be" || h === "youtube.com" || h.endsWith(".youtube.com") || h === "youtube-nocookie.com";
  } catch {
    return false;
  }
}

export function convertLink(url: string, o: ConvertOptions): Promise<Conversion> {
  const body: Record<string, unknown> = {
    source: "web_frontend",
    arrangement_type: o.arrangements,
    is_public: o.isPublic,
    [isYouTube(url) ? "youtube_link" : "audio_url"]: url,
  };
  if (o.songName.trim()) body.song_name = o.songName.trim();
  if (o.socketId) body.additional_data = { socket_id: o.socketId };
  return request<Conversion>("POST", "/api/convert", body);
}

function listQuery(q: { q?: string; status?: string; limit?: number; offset?: number }): string {
  const p = new URLSearchParams();
  if (q.q) p.set("q", q.q);
  if (q.status) p.set("status", q.status);
  if (q.limit) p.set("limit", String(q.limit));
  if (q.offset) p.set("offset", String(q.offset));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export const conversionsApi = {
  convertLink,
  conversions: (q: { q?: string; status?: string; limit?: number; offset?: number } = {}) =>
    request<ConversionList>("GET", `/api/conversions${listQuery(q)}`),
  publicConversions: (q: { q?: string; status?: string; limit?: number; offset?: number } = {}) =>
    request<ConversionList>("GET", `/api/conversions/public${listQuery(q)}`),
  publicConversion: (uuid: string) =>
    request<Conversion>("GET", `/api/conversions/public/${encodeURIComponent(uuid)}`),
  conversion: (uuid: string) => request<Conversion>("GET", `/api/conversions/${encodeURIComponent(uuid)}`),
  updateConversion: (uuid: string, patch: { song_name?: string; is_public?: boolean }) =>
    request<Conversion>("PATCH", `/api/conversions/${encodeURIComponent(uuid)}`, patch),
  cancelConversion: (uuid: string) => request<Conversion>("POST", `/api/conversions/${encodeURIComponent(uuid)}/cancel`),
  deleteConversion: (uuid: string) => request<null>("DELETE", `/api/conversions/${encodeURIComponent(uuid)}`),
};
