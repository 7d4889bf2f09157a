import type { Scope } from "./scope.ts";
import type { ShellAnalysis, ShellCommand, ShellUncertainty, ShellWrite } from "./types.ts";

const MAX_DEPTH = 32;
const MAX_ITEMS = 1000;

/** Thrown to stop an analysis that has seen too much; what was collected so far is kept. */
export class TooComplex extends Error {}

/**
 * How a write is the program's own job: not (`false`), one file placed (`true`), a whole tree
 * (`"tree"`) or a git work tree (`"work-tree"`, see `ShellWrite.workTree`).
 */
export type Placement = boolean | "tree" | "work-tree";

/** Whether `next` says more than the write already kept (a tree over a file, any tree over a work tree). */
function widens(next: Placement, kept: ShellWrite): boolean {
  if (next === "tree") return !kept.tree || kept.workTree === true;
  return next === "work-tree" && !kept.tree;
}

function shellWrite(path: string, dynamic: boolean, placed: Placement): ShellWrite {
  if (!placed) return { path, dynamic };
  if (placed === true) return { path, dynamic, placed };
  const tree = { path, dynamic, placed: true, tree: true } as const;
  return placed === "work-tree" ? { ...tree, workTree: true } : tree;
}

interface PendingWrite {
  readonly path: string;
  dynamic: boolean;
  readonly relative: boolean;
  readonly placed: Placement;
}

/** Parses shell source and walks it into the collector. */
export type WalkSource = (source: string, collector: Collector, scope: Scope) => void;

/** Accumulates what an analysis finds, with the limits that keep it bounded. */
export class Collector {
  readonly #commands: ShellCommand[] = [];
  readonly #commandKeys = new Set<string>();
  readonly #writes: PendingWrite[] = [];
  readonly #uncertain = new Set<ShellUncertainty>();
  #depth = 0;
  #budget: number;

  /** `budget` bounds the source characters walked, nested parses and substitutions included. */
  constructor(
    readonly walkSource: WalkSource,
    budget: number,
  ) {
    this.#budget = budget;
  }

  get writeCount(): number {
    return this.#writes.length;
  }

  flag(reason: ShellUncertainty): void {
    this.#uncertain.add(reason);
  }

  /** Goes one nesting level deeper, or flags `too_complex` and refuses past the limit. */
  enter(): boolean {
    if (this.#depth >= MAX_DEPTH) {
      this.flag("too_complex");
      return false;
    }
    this.#depth++;
    return true;
  }

  leave(): void {
    this.#depth--;
  }

  /** Spends `size` characters of the work budget, stopping the analysis once it runs out. */
  charge(size: number): void {
    this.#budget -= size;
    if (this.#budget < 0) this.#stop();
  }

  addCommand(
    argv: readonly string[],
    text: string,
    aliases: readonly string[],
    grant?: ShellCommand["grant"],
  ): void {
    let key =
      aliases.length === 0 ? argv.join("\0") : `${argv.join("\0")}\u0001${aliases.join("\0")}`;
    if (grant) key += `\u0002${grant.text}`;
    if (this.#commandKeys.has(key)) return;
    this.#guardSize(this.#commands.length);
    this.#commandKeys.add(key);
    this.#commands.push(
      Object.freeze({
        argv: Object.freeze(argv),
        text,
        aliases: Object.freeze(aliases),
        ...(grant ? { grant: Object.freeze(grant) } : {}),
      }),
    );
  }

  addWrite(path: string, dynamic: boolean, relative: boolean, placed: Placement = false): void {
    this.#guardSize(this.#writes.length);
    this.#writes.push({ path, dynamic, relative, placed });
  }

  /** Marks relative writes recorded since `from` as dynamic, for a loop whose `cd` moves later iterations. */
  markRelativeDynamic(from: number): void {
    for (let index = from; index < this.#writes.length; index++) {
      const write = this.#writes[index]!;
      if (write.relative) write.dynamic = true;
    }
  }

  finish(): ShellAnalysis {
    const writes: ShellWrite[] = [];
    // A placed write and a tree at the same path are one write, the tree.
    const seen = new Map<string, number>();
    for (const { path, dynamic, placed } of this.#writes) {
      const key = `${dynamic ? "1" : "0"}${placed ? "1" : "0"}${path}`;
      const at = seen.get(key);
      if (at !== undefined) {
        if (widens(placed, writes[at]!))
          writes[at] = Object.freeze(shellWrite(path, dynamic, placed));
        continue;
      }
      seen.set(key, writes.length);
      writes.push(Object.freeze(shellWrite(path, dynamic, placed)));
    }
    return Object.freeze({
      commands: Object.freeze(this.#commands.slice()),
      writes: Object.freeze(writes),
      uncertain: Object.freeze([...this.#uncertain]),
    });
  }

  #guardSize(size: number): void {
    if (size >= MAX_ITEMS) this.#stop();
  }

  #stop(): never {
    this.flag("too_complex");
    throw new TooComplex();
  }
}
