import { defineConfig } from "vite";

// The inbox talks to the Warden server's endpoint directly: the server's front answers CORS for its
// `allowedOrigins`, by default this dev server's (docs/server.md). VITE_WARDEN_ENDPOINT sets the default.

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
