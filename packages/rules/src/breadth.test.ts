import { describe, expect, test } from "vitest";
import { assessBreadth } from "./breadth.ts";

const codes = (pattern: string, context = {}) =>
  assessBreadth(pattern, context).map((w) => `${w.severity}:${w.code}`);

describe("breadth labels match what a rule really allows", () => {
  test.each([
    ["Bash(git push *)", "danger:dangerous_flags", "--force"],
    ["Bash(git push origin *)", "danger:dangerous_flags", "--force"],
    ["Bash(git reset *)", "danger:dangerous_flags", "--hard"],
    ["Bash(git clean *)", "danger:dangerous_flags", "-x"],
    ["Bash(git config *)", "danger:dangerous_flags", "alias"],
    ["Bash(git diff *)", "danger:dangerous_flags", "--output"],
    ["Bash(git *)", "danger:any_subcommand", "push --force"],
    ["Bash(rm *)", "danger:dangerous_flags", "-rf"],
    ["Bash(sed *)", "danger:dangerous_flags", "-i"],
    ["Bash(find *)", "danger:dangerous_flags", "-delete"],
    ["Bash(sort *)", "danger:dangerous_flags", "--compress-program"],
    ["Bash(man *)", "danger:dangerous_flags", "-P"],
    ["Bash(git grep *)", "danger:dangerous_flags", "-O"],
    ["Bash(curl *)", "danger:dangerous_flags", "-o"],
    ["Bash(npm install *)", "danger:dangerous_flags", "install scripts"],
    ["Bash(kubectl delete *)", "danger:dangerous_flags", "any resource"],
    ["Bash(awk *)", "danger:interpreter", "arbitrary code"],
    ["Bash(cat *)", "broad:reads_any_file", ".ssh"],
    ["Bash(mytool *)", "broad:any_arguments", "any arguments"],
    ['Edit(file_path ~ "/home/dev/**")', "danger:home_directory", "/home/dev/"],
    ["Edit(/Users/ann/*)", "danger:home_directory", ".npmrc"],
    ["Read(~/**)", "danger:home_directory", ".ssh"],
    ["Read(~/.ssh/**)", "danger:secrets", "id_ed25519"],
    ['Read(file_path ~ "**/.env")', "danger:secrets", ".env"],
    ['Edit(file_path = "~/.bashrc")', "danger:secrets", ".bashrc"],
    ["Write(/**)", "danger:filesystem_root", "from /"],
    ["Write(/etc/**)", "danger:system_directory", "/etc/hosts"],
    ["Read(/usr/**)", "broad:system_directory", "/usr/bin/env"],
  ])("%s is %s (%s)", (pattern, code, why) => {
    const warnings = assessBreadth(pattern);
    expect(codes(pattern)).toContain(code);
    expect(warnings.map((w) => w.message).join("\n")).toContain(why);
  });

  test.each([
    "Bash(ls *)",
    "Bash(echo *)",
    "Bash(git status)",
    "Bash(git status *)",
    "Bash(npm test *)",
    "Read(src/**)",
    'Edit(file_path ~ "/home/dev/project/src/**")',
    "Write(/tmp/**)",
    "Bash(git push)",
  ])("%s is narrow", (pattern) => {
    expect(assessBreadth(pattern)).toEqual([]);
  });

  test("the session's context makes path findings exact", () => {
    const context = { cwd: "/home/dev/project", home: "/home/dev" };
    expect(codes('Edit(file_path ~ "/home/dev/**")', context)).toContain("danger:home_directory");
    expect(codes('Edit(file_path ~ "/home/dev/project/src/**")', context)).toEqual([]);
    // The whole project includes its git hooks, which run commands on the next commit.
    expect(codes("Edit(/home/dev/project/**)", context)).toEqual(["danger:secrets"]);
  });
});
