import { defineConfig } from "vite";

// The inbox talks to the Warden server (the Rivet Engine's endpoint) directly: the engine answers
// CORS preflights for any origin, so no proxy is needed. VITE_WARDEN_ENDPOINT sets the default.
export default defineConfig({
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2022", sourcemap: true },
});
