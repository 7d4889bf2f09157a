import { globLiteral } from "./glob.ts";
import {
  escapeGlob,
  fieldIsPath,
  normalized,
  type PreparedCall,
  pathGlobForm,
  primaryIsPath,
  unquoteShellGlob,
  valueText,
} from "./match.ts";
import { normalizeGlobPath } from "./path.ts";
import type { ArgumentSelector } from "./pattern.ts";
import type { ResolvedToolSpec } from "./tools.ts";

/*
 * The index below the tool name. A rule that requires a field to match a glob with a literal
 * start containing a complete first segment (`Edit(file_path ~ "src/**")`, `Bash(npm *)`) can
 * only match a call whose value for that field has the same first segment (`src`, `npm`): for
 * each tool, such rules are filed under (field, form, segment), where the form is the text, or the
 * relative or absolute form of a path. Every other rule (negations, regexes, globs without a
 * literal start, `~` and `**` path globs, fields behind a nested path) is always checked. A call's
 * candidates are the rules filed under the segments of all its values (every value of a
 * multi-valued field, the whole command line and each sub-command for a shell tool), merged with
 * the always-checked rules in rank order. The index only drops rules that cannot match, so the
 * first matching candidate is the rule a full scan would find.
 */

/** A glob a rule requires a top-level field to match (`field` undefined: the primary glob). */
export interface Requirement {
  readonly field: string | undefined;
  readonly glob: string;
}

/** The requirements of a pattern's arguments that the index can file the rule under. */
export function requirementsOf(args: ArgumentSelector): Requirement[] {
  if (args.kind === "any") return [];
  if (args.kind === "primary") return [{ field: undefined, glob: args.glob }];
  return args.conditions.flatMap((condition) => {
    const [first, ...rest] = condition.path;
    if (rest.length > 0 || first?.kind !== "key") return [];
    if (condition.op === "~") return [{ field: first.name, glob: condition.value }];
    if (condition.op === "=") return [{ field: first.name, glob: escapeGlob(condition.value) }];
    return [];
  });
}

/** What the index needs of a rule. */
export interface IndexableRule {
  readonly rank: number;
  readonly requirements: readonly Requirement[];
}

type Form = "text" | "relative" | "absolute";

interface Bucket<R> {
  readonly id: number;
  readonly rules: R[];
  /** The bucket's rules merged with the always-checked ones, computed on first use. */
  merged: readonly R[] | undefined;
}

/** One input field that rules are filed under, for one tool. */
interface Slot<R> {
  readonly name: string;
  /** Primary fields spread arrays into their elements; conditions see the array as one value. */
  readonly spread: boolean;
  readonly isPath: boolean;
  /** The command field of a shell tool: sub-commands stand in for its value. */
  readonly command: boolean;
  readonly buckets: Record<Form, Map<string, Bucket<R>>>;
}

/** The index of one tool's candidate rules. */
export interface ToolIndex<R> {
  /** Every candidate rule of the tool, in rank order. */
  readonly all: readonly R[];
  readonly always: readonly R[];
  readonly slots: readonly Slot<R>[];
  readonly combined: Map<string, readonly R[]>;
}

const COMBINED_LIMIT = 1024;
const SPACE = 32;
const SLASH = 47;

/** A text's first segment: everything before its first space or slash. */
function segmentOf(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === SLASH) return text.slice(0, i);
  }
  return text;
}

/** A path's first segment (after the leading slash of an absolute path). */
function pathSegmentOf(path: string, from: number): string {
  const end = path.indexOf("/", from);
  return end < 0 ? (from === 0 ? path : path.slice(from)) : path.slice(from, end);
}

/** The segment every match of a glob starts with, when its literal start settles it. */
function literalSegment(prefix: string, exact: boolean, form: Form): string | undefined {
  const from = form === "absolute" ? 1 : 0;
  const segment = form === "text" ? segmentOf(prefix) : pathSegmentOf(prefix, from);
  return exact || segment.length < prefix.length - from ? segment : undefined;
}

function keyOf(glob: string, isPath: boolean): { form: Form; segment: string } | undefined {
  try {
    if (!isPath) {
      const { prefix, exact } = globLiteral(glob, "text");
      const segment = literalSegment(prefix, exact, "text");
      return segment === undefined ? undefined : { form: "text", segment };
    }
    const clean = normalizeGlobPath(glob);
    const form = pathGlobForm(clean);
    if (form !== "relative" && form !== "absolute") return undefined;
    // A deny's `../x` also matches a path written so (awaken's reading), which has no cwd form.
    if (form === "relative" && (clean === ".." || clean.startsWith("../"))) return undefined;
    const { prefix, exact } = globLiteral(clean, "path");
    const segment = literalSegment(prefix, exact, form);
    return segment === undefined ? undefined : { form, segment };
  } catch {
    return undefined;
  }
}

/** Files a tool's rank-ordered candidates; with `indexed` false every rule is always checked. */
export function buildToolIndex<R extends IndexableRule>(
  all: readonly R[],
  spec: ResolvedToolSpec,
  indexed = true,
): ToolIndex<R> {
  const always: R[] = [];
  const slots = new Map<string, Slot<R>>();
  let bucketCount = 0;
  const slotFor = (name: string, spread: boolean, isPath: boolean, command: boolean) => {
    const id = `${name}\u0000${spread}\u0000${isPath}\u0000${command}`;
    let slot = slots.get(id);
    if (!slot) {
      slot = {
        name,
        spread,
        isPath,
        command,
        buckets: { text: new Map(), relative: new Map(), absolute: new Map() },
      };
      slots.set(id, slot);
    }
    return slot;
  };
  for (const rule of all) {
    const place = indexed ? placeOf(rule.requirements, spec) : undefined;
    if (!place) {
      always.push(rule);
      continue;
    }
    const slot = slotFor(place.name, place.spread, place.isPath, place.command);
    const buckets = slot.buckets[place.form];
    let bucket = buckets.get(place.segment);
    if (!bucket) {
      bucket = { id: bucketCount++, rules: [], merged: undefined };
      buckets.set(place.segment, bucket);
    }
    bucket.rules.push(rule);
  }
  return { all, always, slots: [...slots.values()], combined: new Map() };
}

interface Place {
  readonly name: string;
  readonly spread: boolean;
  readonly isPath: boolean;
  readonly command: boolean;
  readonly form: Form;
  readonly segment: string;
}

/** Where a rule is filed for a tool: under its first requirement that has a key there. */
function placeOf(requirements: readonly Requirement[], spec: ResolvedToolSpec): Place | undefined {
  for (const { field, glob } of requirements) {
    const command = spec.shell && (field === undefined || field === spec.primary);
    // A shell tool's `x[*]` primary reads one field for the analysis and another for matching.
    if (command && spec.primary?.endsWith("[*]")) continue;
    let name: string;
    let isPath: boolean;
    let spread: boolean;
    if (field === undefined) {
      // The primary glob: only a tool with a primary field has one field to look at.
      const primary = spec.primary;
      if (primary === undefined) continue;
      name = primary.endsWith("[*]") ? primary.slice(0, -3) : primary;
      isPath = primaryIsPath(spec, primary, name);
      spread = true;
    } else {
      name = field;
      isPath = fieldIsPath(spec, field, field);
      spread = false;
    }
    // A shell command field is matched as text against sub-commands: never file it as a path.
    if (command && isPath) continue;
    // Command globs are matched with their quotes removed (match.ts), so they are filed so too.
    const key = keyOf(command ? unquoteShellGlob(glob) : glob, isPath);
    if (key) return { name, spread, isPath, command, ...key };
  }
  return undefined;
}

/**
 * The rules that may match a call, in rank order. `commands` stands in for the value of a shell
 * tool's command field: the sub-commands (and the whole line, for deny rules) it is checked as.
 */
export function candidatesOf<R extends IndexableRule>(
  index: ToolIndex<R>,
  call: PreparedCall,
  commands?: readonly string[],
): readonly R[] {
  if (index.slots.length === 0) return index.all;
  const hits = new Hits<R>();
  for (const slot of index.slots) {
    if (commands && slot.command) {
      for (const text of commands) hits.add(slot.buckets.text.get(segmentOf(text)));
      continue;
    }
    const raw = Object.hasOwn(call.input, slot.name) ? call.input[slot.name] : undefined;
    // Without its primary field, a deny's primary glob reads the input as awaken does (match.ts).
    if (raw === undefined && slot.spread) return index.all;
    if (raw === undefined) continue;
    if (slot.spread && Array.isArray(raw)) {
      for (const value of raw) if (!hits.addValue(slot, value, call)) return index.all;
    } else if (!hits.addValue(slot, raw, call)) return index.all;
  }
  const { first, more } = hits;
  if (!first) return index.always;
  if (!more) {
    first.merged ??= mergeByRank(index.always, first.rules);
    return first.merged;
  }
  const buckets = [first, ...more].sort((a, b) => a.id - b.id);
  let key = "";
  for (const { id } of buckets) key += String.fromCharCode(id >>> 16, id & 0xffff);
  let list = index.combined.get(key);
  if (!list) {
    if (index.combined.size >= COMBINED_LIMIT) index.combined.clear();
    list = buckets.reduce<readonly R[]>(
      (merged, bucket) => mergeByRank(merged, bucket.rules),
      index.always,
    );
    index.combined.set(key, list);
  }
  return list;
}

/** The buckets a call's values fall in, without duplicates. */
class Hits<R> {
  first: Bucket<R> | undefined;
  more: Bucket<R>[] | undefined;

  add(bucket: Bucket<R> | undefined): void {
    if (!bucket || bucket === this.first) return;
    if (!this.first) this.first = bucket;
    else if (!this.more) this.more = [bucket];
    else if (!this.more.includes(bucket)) this.more.push(bucket);
  }

  /** Adds the buckets of one value; false when the value is not indexable (check everything). */
  addValue(slot: Slot<R>, value: unknown, call: PreparedCall): boolean {
    if (!slot.isPath) {
      this.add(slot.buckets.text.get(segmentOf(valueText(value))));
      return true;
    }
    // A path field with a non-string value is matched as text: the path keys do not apply.
    if (typeof value !== "string") return false;
    const path = normalized(call, value);
    const { relative, absolute } = slot.buckets;
    if (relative.size > 0 && path.relative !== undefined) {
      this.add(relative.get(pathSegmentOf(path.relative, 0)));
    }
    if (absolute.size > 0 && path.absolute !== undefined) {
      this.add(absolute.get(pathSegmentOf(path.absolute, 1)));
    }
    // Deny and ask rules also read the path as written (awaken's reading, match.ts).
    if (value !== path.relative && value !== path.absolute) {
      if (value.startsWith("/")) this.add(absolute.get(pathSegmentOf(value, 1)));
      else this.add(relative.get(pathSegmentOf(value, 0)));
    }
    return true;
  }
}

function mergeByRank<R extends IndexableRule>(a: readonly R[], b: readonly R[]): R[] {
  const out: R[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i]!.rank <= b[j]!.rank ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
