import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolVerdict } from "./tool-verdicts.ts";

const NOTE: Record<ToolVerdict, string> = {
  allow: "",
  ask: "Each call waits for a human to approve it in Warden.",
  deny: "Warden's policy denies every call of this tool.",
  depends: "Warden decides each call by its arguments; some may need a human's approval.",
};

/**
 * The tool list the client sees: tools the policy denies outright dropped when `hideDenied`, the
 * rest annotated with Warden's verdict (`_meta["warden/policy"]` and a sentence in the
 * description, so that models know a call may wait for a human).
 */
export function annotateTools(
  tools: readonly Tool[],
  verdictOf: (tool: string) => ToolVerdict,
  options: { readonly hideDenied: boolean },
): Tool[] {
  const shown: Tool[] = [];
  for (const tool of tools) {
    const verdict = verdictOf(tool.name);
    if (verdict === "deny" && options.hideDenied) continue;
    const note = NOTE[verdict];
    shown.push({
      ...tool,
      ...(note ? { description: tool.description ? `${tool.description}\n\n${note}` : note } : {}),
      _meta: { ...tool._meta, "warden/policy": verdict },
    });
  }
  return shown;
}
