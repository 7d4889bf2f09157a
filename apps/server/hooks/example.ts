// An example server-side hook: Warden calls it for every request the policy leaves to "ask",
// before humans see it. Answer with c.respondPermission, or return without answering to leave
// the request to humans. A hook that throws or overruns `hookBudgetMs` leaves it to humans too.
import type { PermissionHook } from "@warden/server";

const READ_ONLY_TOOLS = new Set(["Read", "Glob", "Grep", "LS", "WebSearch"]);

// A download piped into a shell: `curl … | sh`, `wget -qO- … | sudo bash`, …
const PIPE_TO_SHELL = /\b(curl|wget|fetch)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k|fi)?sh\b/;

export const onPermissionRequest: PermissionHook = async (c, sessionId, request) => {
  const command = typeof request.input.command === "string" ? request.input.command : "";
  if (request.toolName === "Bash" && PIPE_TO_SHELL.test(command)) {
    await c.respondPermission(sessionId, request.permissionId, "reject", {
      message: "Piping a download into a shell is not allowed; download, review, then run it.",
    });
    return;
  }
  // In CI nobody is there to answer: let read-only tools through.
  if (process.env.CI && READ_ONLY_TOOLS.has(request.toolName)) {
    await c.respondPermission(sessionId, request.permissionId, "once");
  }
};
