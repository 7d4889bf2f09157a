import type { Redirection } from "unbash";
import type { Collector, Placement } from "./collector.ts";
import { isDangerousName } from "./names.ts";
import { isAnchored, isDeviceSink, isNetworkPath, joinPath } from "./paths.ts";
import type { Scope } from "./scope.ts";
import { type Arg, wordArg } from "./words.ts";

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", "<>"]);
const DESCRIPTOR = /^(\d+-?|-)$/;
const PROCESS_SUBSTITUTION = /^[<>]\(/;

/** Records a redirection that writes to a file; fd duplications, here-docs and device sinks are not writes. */
export function recordRedirect(collector: Collector, scope: Scope, redirect: Redirection): void {
  // `{name}>file` assigns the descriptor number to `name`.
  const descriptor = redirect.descriptor;
  if (descriptor?.type === "FileDescriptorVariable" && isDangerousName(descriptor.name)) {
    collector.flag("dangerous_environment");
  }
  if (redirect.type !== "Redirect" || !redirect.target) return;
  const { operator, target } = redirect;
  const duplicates = (operator === ">&" || operator === "<&") && DESCRIPTOR.test(target.value);
  if (duplicates || PROCESS_SUBSTITUTION.test(target.text)) return;
  // Bash opens a socket for `/dev/tcp/host/port` in any direction, and a read from a target that
  // expands may be one (a write to it is a dynamic write, uncertain already).
  const reads = operator === "<" || operator === "<&";
  if (isNetworkPath(target.value) || (reads && !wordArg(target).literal)) {
    collector.flag("network_redirect");
  }
  if (!WRITE_OPERATORS.has(operator) && operator !== ">&") return;
  recordWrite(collector, scope, wordArg(target));
}

/**
 * Records a write to `target`, resolved against the scope's literal `cd` when it is relative;
 * `placed` when it is the program's job, `"tree"` when that job may fill a directory tree there.
 */
export function recordWrite(
  collector: Collector,
  scope: Scope,
  target: Arg,
  placed: Placement = false,
): void {
  const path = target.text;
  if (target.literal && isDeviceSink(path)) return;
  const relative = !isAnchored(path) && (target.literal || !/^[$`]/.test(path));
  if (!relative) collector.addWrite(path, !target.literal, false, placed);
  else if (scope.dynamic) collector.addWrite(path, true, true, placed);
  else {
    const resolved = scope.dir === undefined ? path : joinPath(scope.dir, path);
    collector.addWrite(resolved, !target.literal, true, placed);
  }
}
