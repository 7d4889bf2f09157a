import { defineConfig } from "vite";

// The inbox talks to the Warden server (the Rivet Engine's endpoint) directly: the engine answers
// CORS preflights for any origin, so no proxy is needed. VITE_WARDEN_ENDPOINT sets the default.

/** An approval UI must not be framed by another page (clickjacking an "Allow" click). */
export const FRAME_HEADERS = {
  "Content-Security-Policy": "frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
} as const;

export default defineConfig({
  server: { host: "127.0.0.1", port: 5173, strictPort: true, headers: FRAME_HEADERS },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true, headers: FRAME_HEADERS },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2022", sourcemap: true },
});
