import { defineConfig } from "vite";

// `npm run dev` serves the app on :5173 and forwards the API (and its WebSocket) to a
// locally running `cadenza serve`; CADENZA_API overrides the target.
const api = process.env.CADENZA_API ?? "http://127.0.0.1:8080";

export default defineConfig({
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
    // Everything under dist/assets/ carries a content hash: the server marks it immutable.
    assetsInlineLimit: 0,
  },
});
