import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// `npm run dev` serves the app on :5173 and forwards the API (and its WebSocket) to a
// locally running `cadenza serve`; CADENZA_API overrides the target.
const api = process.env.CADENZA_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [svelte()],
  server: {
    proxy: {
      "/api": { target: api, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    // Everything under dist/assets/ carries a content hash: the server marks it immutable.
    // Nothing is inlined as a data: URL (the page's CSP allows scripts and styles only from 'self').
    assetsInlineLimit: 0,
    // Heavy libraries (Verovio, the synth) are split into their own chunks, loaded on demand.
    chunkSizeWarningLimit: 10240,
  },
});
