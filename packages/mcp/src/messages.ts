// Cheap classification of messages the SDK's transports already validated as JSON-RPC 2.0
// (`JSONRPCMessageSchema` on every message read): a second zod pass per message would be the
// gateway's largest cost on a rule-decided call.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  ProgressToken,
} from "@modelcontextprotocol/sdk/types.js";

export const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => "method" in m && "id" in m;

export const isNotification = (m: JSONRPCMessage): m is JSONRPCNotification =>
  "method" in m && !("id" in m);

export const isResult = (m: JSONRPCMessage): m is JSONRPCResultResponse => "result" in m;

export const isError = (m: JSONRPCMessage): m is JSONRPCErrorResponse =>
  "error" in m && !("method" in m);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What the gateway needs of a tools/call: the tool, its arguments, the client's progress token. */
export interface ToolCallParams {
  readonly name: string;
  readonly input: Record<string, unknown>;
  readonly progressToken: ProgressToken | undefined;
}

/** Reads a tools/call's params, or undefined when they are not a valid call. */
export function readToolCall(request: JSONRPCRequest): ToolCallParams | undefined {
  const params = request.params;
  if (!isRecord(params) || typeof params.name !== "string") return undefined;
  const input = params.arguments ?? {};
  if (!isRecord(input)) return undefined;
  const token = isRecord(params._meta) ? params._meta.progressToken : undefined;
  const progressToken = typeof token === "string" || typeof token === "number" ? token : undefined;
  return { name: params.name, input, progressToken };
}
