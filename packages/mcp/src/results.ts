import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** Why the gateway did not forward a tools/call. */
export type RefusalReason =
  | "rule"
  | "hook"
  | "rejected"
  | "timed_out"
  | "budget_exceeded"
  | "cancelled"
  | "warden_unavailable"
  | "upstream_closed"
  | "upstream_unreachable"
  | "invalid_arguments"
  | "invalid_edit"
  | "invalid_tool_name";

const PREFIX: Record<RefusalReason, string> = {
  rule: "Warden's policy denied this call",
  hook: "Warden's server hook denied this call",
  rejected: "A human rejected this call in Warden",
  timed_out: "Nobody approved this call in Warden in time",
  budget_exceeded: "This session's budget in Warden is used up",
  cancelled: "The call was cancelled before Warden decided",
  warden_unavailable: "Warden could not decide, so the call was not made",
  upstream_closed: "The MCP server closed the connection before answering",
  upstream_unreachable: "The gateway could not reach the MCP server",
  invalid_arguments: "Warden cannot judge these arguments as sent, so the call was not made",
  invalid_edit: "An approver's or hook's edited arguments were refused, so the call was not made",
  invalid_tool_name: "The gateway refuses every call of this tool",
};

/**
 * The tool result a refused or failed call gets: `isError: true`, never a protocol error, so that
 * clients show the reason to the model and keep the server.
 */
export function refusalResult(reason: RefusalReason, message: string): CallToolResult {
  const detail = message.trim();
  return {
    content: [
      { type: "text", text: detail ? `${PREFIX[reason]}: ${detail}` : `${PREFIX[reason]}.` },
    ],
    isError: true,
    _meta: { "warden/refusal": reason },
  };
}
