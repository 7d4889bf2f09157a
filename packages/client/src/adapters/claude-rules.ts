// Claude Code permission rules (`Bash(npm test:*)`, `Edit(src/**)`, `WebFetch(domain:x.com)`) as
// Warden patterns. Only allow rules map; what has no faithful Warden equivalent is left out.
import type { PermissionRuleValue, PermissionUpdate } from "@anthropic-ai/claude-agent-sdk";

const GLOB_SPECIAL = /[*?[\]{}()\\]/g;
const escapeGlob = (text: string) => text.replace(GLOB_SPECIAL, "\\$&");
const escapeGlobKeepStar = (text: string) => text.replace(/[?[\]{}()\\]/g, "\\$&");
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const quote = (text: string) => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

const SHELL_TOOLS = new Set(["Bash", "bash", "shell"]);
/** Claude's `Edit(...)` rules cover every file-editing tool; `Read(...)` covers reading. */
const PATH_TOOLS: Record<string, readonly (readonly [tool: string, field: string])[]> = {
  Edit: [
    ["Edit", "file_path"],
    ["Write", "file_path"],
    ["MultiEdit", "file_path"],
    ["NotebookEdit", "notebook_path"],
  ],
  Write: [["Write", "file_path"]],
  MultiEdit: [["MultiEdit", "file_path"]],
  NotebookEdit: [["NotebookEdit", "notebook_path"]],
  Read: [["Read", "file_path"]],
};

/**
 * The Warden patterns of one Claude Code rule, or none when it has no faithful equivalent.
 * @example claudeRuleToPatterns({ toolName: "Bash", ruleContent: "npm test:*" }) // ["Bash(npm test *)"]
 */
export function claudeRuleToPatterns(rule: PermissionRuleValue): string[] {
  const { toolName } = rule;
  const content = rule.ruleContent?.trim();
  if (!toolName || /[\s()]/.test(toolName)) return [];
  if (content === undefined || content === "" || content === "*") {
    // `mcp__server` alone means every tool of that server.
    if (toolName.startsWith("mcp__") && toolName.endsWith("__*"))
      return [`${escapeGlob(toolName.slice(0, -1))}*`];
    if (toolName.startsWith("mcp__") && !toolName.slice(5).includes("__"))
      return [`${escapeGlob(toolName)}__*`];
    return [escapeGlob(toolName)];
  }
  if (SHELL_TOOLS.has(toolName)) {
    // `npm test:*` is Claude's legacy prefix syntax; `npm test *` its wildcard syntax.
    const glob = content.endsWith(":*")
      ? `${escapeGlob(content.slice(0, -2).trimEnd())} *`
      : escapeGlobKeepStar(content);
    return [`${toolName}(${glob})`];
  }
  const pathTools = PATH_TOOLS[toolName];
  if (pathTools) {
    const glob = claudePathToGlob(content);
    if (glob === undefined) return [];
    return pathTools.map(([tool, field]) => `${tool}(${field} ~ ${quote(glob)})`);
  }
  if (toolName === "WebFetch" && content.startsWith("domain:")) {
    const host = content.slice("domain:".length).toLowerCase();
    if (!/^[a-z0-9.-]+$/.test(host)) return [];
    return [`WebFetch(url =~ ${quote(`^https?://${escapeRegex(host)}(:[0-9]+)?([/?#]|$)`)})`];
  }
  return [];
}

/** Claude's gitignore-style path specs: `//abs` is absolute, `~/x` in home, `/x` and `x` in the project. */
function claudePathToGlob(spec: string): string | undefined {
  if (spec.startsWith("//")) return spec.slice(1);
  if (spec.startsWith("~/")) return spec;
  if (spec.startsWith("/")) return spec.slice(1) || undefined;
  if (spec.startsWith("./")) return spec.slice(2) || undefined;
  return spec;
}

/** What the SDK's suggestions give as Warden "always" rules, and what had no equivalent. */
export interface MappedSuggestions {
  /** Allow patterns, deduplicated, in the SDK's order. */
  readonly rules: readonly string[];
  /** Suggestions that do not map: modes, directories, removals, deny rules, unknown rule syntax. */
  readonly unmapped: readonly PermissionUpdate[];
}

/**
 * Maps the Claude Agent SDK's permission suggestions to Warden "always" rules.
 * @example suggestionsToRules([{ type: "addRules", behavior: "allow", destination: "session", rules: [{ toolName: "Bash", ruleContent: "npm test:*" }] }]).rules // ["Bash(npm test *)"]
 */
export function suggestionsToRules(
  suggestions: readonly PermissionUpdate[] = [],
): MappedSuggestions {
  const rules: string[] = [];
  const unmapped: PermissionUpdate[] = [];
  for (const update of suggestions) {
    if (
      (update.type !== "addRules" && update.type !== "replaceRules") ||
      update.behavior !== "allow"
    ) {
      unmapped.push(update);
      continue;
    }
    const patterns = update.rules.map(claudeRuleToPatterns);
    if (patterns.some((p) => p.length === 0)) unmapped.push(update);
    for (const pattern of patterns.flat()) if (!rules.includes(pattern)) rules.push(pattern);
  }
  return { rules, unmapped };
}
