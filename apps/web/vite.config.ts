import { defineConfig, type Plugin } from "vite";

// The inbox talks to the Warden server's endpoint directly: the server's front answers CORS for its
// `allowedOrigins`, by default this dev server's (docs/server.md). VITE_WARDEN_ENDPOINT sets the default.

/** An approval UI must not be framed by another page (clickjacking an "Allow" click). */
export const FRAME_HEADERS = {
  "Content-Security-Policy": "frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
} as const;

/**
 * Ctrl-C stops the dev server with exit 0. Left to the default action, vite dies of the SIGINT and
 * pnpm, which runs it, reports that as a failed command.
 */
const quietStop: Plugin = {
  name: "warden-quiet-stop",
  configureServer(server) {
    // `on`, not `once`: pnpm forwards the terminal's SIGINT, so one Ctrl-C can arrive twice.
    let closing = false;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        if (closing) return;
        closing = true;
        void server.close().finally(() => process.exit(0));
      });
    }
  },
};

export default defineConfig({
  plugins: [quietStop],
  server: { host: "127.0.0.1", port: 5173, strictPort: true, headers: FRAME_HEADERS },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true, headers: FRAME_HEADERS },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2022", sourcemap: true },
});
