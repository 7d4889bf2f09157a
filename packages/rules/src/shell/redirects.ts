import type { Redirection } from "unbash";
import type { Collector } from "./collector.ts";
import { isDangerousName } from "./names.ts";
import { isAnchored, isDeviceSink, joinPath } from "./paths.ts";
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
  if (operator === ">&" ? DESCRIPTOR.test(target.value) : !WRITE_OPERATORS.has(operator)) return;
  if (PROCESS_SUBSTITUTION.test(target.text)) return;
  recordWrite(collector, scope, wordArg(target));
}

/** Records a write to `target`, resolved against the scope's literal `cd` when it is relative. */
export function recordWrite(collector: Collector, scope: Scope, target: Arg): void {
  const path = target.text;
  if (target.literal && isDeviceSink(path)) return;
  const relative = !isAnchored(path) && (target.literal || !/^[$`]/.test(path));
  if (!relative) collector.addWrite(path, !target.literal, false);
  else if (scope.dynamic) collector.addWrite(path, true, true);
  else {
    const resolved = scope.dir === undefined ? path : joinPath(scope.dir, path);
    collector.addWrite(resolved, !target.literal, true);
  }
}
