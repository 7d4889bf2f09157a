import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { expect, test } from "vitest";

test("the inbox refuses to be framed by another page", async () => {
  const server = await createServer({
    configFile: fileURLToPath(new URL("../vite.config.ts", import.meta.url)),
    root: fileURLToPath(new URL("..", import.meta.url)),
    server: { port: 0, strictPort: false },
    logLevel: "silent",
  });
  await server.listen();
  try {
    const response = await fetch(server.resolvedUrls!.local[0]!);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  } finally {
    await server.close();
  }
});
