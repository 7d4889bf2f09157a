import type { Capabilities, RuleEntry, ToolSpec } from "./schema.ts";
import { resolveTool, toolsOfKind } from "./tools.ts";

const INTERPRETERS = [
  "python*",
  "node",
  "node *",
  "deno *",
  "bun *",
  "ruby *",
  "perl *",
  "Rscript *",
  "R",
  "R *",
  "php *",
  "lua *",
];
const INSTALLERS = [
  "npm install*",
  "npm i *",
  "npm ci*",
  "pnpm add *",
  "pnpm install*",
  "yarn add *",
  "pip install *",
  "pip3 install *",
  "uv pip install *",
  "uv add *",
  "poetry add *",
  "apt install *",
  "apt-get install *",
  "brew install *",
  "cargo install *",
  "cargo add *",
  "go install *",
  "go get *",
  "gem install *",
  "conda install *",
];
const NETWORK_COMMANDS = ["curl *", "wget *"];

function shellSelector(tools: Readonly<Record<string, ToolSpec>>): string {
  const names = toolsOfKind("execute", tools).filter((name) => resolveTool(name, tools).shell);
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return `/^(?:${escaped.join("|")})$/`;
}

/**
 * Compiles capability toggles into ordinary rules. `true` allows the capability's tools, `false`
 * denies them, and a directory for `file_write` allows writes inside it and denies the rest.
 */
export function capabilityRules(
  capabilities: Capabilities,
  tools: Readonly<Record<string, ToolSpec>>,
): RuleEntry[] {
  const rules: RuleEntry[] = [];
  const add = (tool: string, behavior: RuleEntry["behavior"], message?: string) =>
    rules.push(message ? { tool, behavior, message } : { tool, behavior });
  const shell = shellSelector(tools);
  const toggle = (on: boolean, patterns: string[], name: string) => {
    for (const pattern of patterns) {
      add(pattern, on ? "allow" : "deny", on ? undefined : `The ${name} capability is off.`);
    }
  };

  if (capabilities.file_read !== undefined) {
    toggle(capabilities.file_read, toolsOfKind("read", tools), "file_read");
  }
  const write = capabilities.file_write;
  if (typeof write === "boolean") toggle(write, toolsOfKind("write", tools), "file_write");
  else if (typeof write === "string") {
    const dir = write.replace(/\/+$/, "") || "/";
    const inside = `${dir === "/" ? "" : dir}/**`.replaceAll('"', '\\"');
    for (const name of toolsOfKind("write", tools)) {
      const field = resolveTool(name, tools).paths[0];
      if (!field) continue;
      add(`${name}(${field} ~ "${inside}")`, "allow");
      add(`${name}(${field} !~ "${inside}")`, "deny", `Writes are only allowed inside ${dir}.`);
    }
  }
  if (capabilities.bash !== undefined) toggle(capabilities.bash, [shell], "bash");
  if (capabilities.code_execution !== undefined) {
    const on = capabilities.code_execution;
    toggle(on, toolsOfKind("code", tools), "code_execution");
    if (!on)
      toggle(
        false,
        INTERPRETERS.map((p) => `${shell}(${p})`),
        "code_execution",
      );
  }
  if (capabilities.web !== undefined) {
    toggle(capabilities.web, toolsOfKind("web", tools), "web");
    if (!capabilities.web)
      toggle(
        false,
        NETWORK_COMMANDS.map((p) => `${shell}(${p})`),
        "web",
      );
  }
  if (capabilities.install_packages !== undefined) {
    toggle(
      capabilities.install_packages,
      INSTALLERS.map((p) => `${shell}(${p})`),
      "install_packages",
    );
  }
  return rules;
}
