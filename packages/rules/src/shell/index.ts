export { analyzeShell } from "./analyze.ts";
export type {
  ShellAnalysis,
  ShellCommand,
  ShellUncertainty,
  ShellWrite,
} from "./types.ts";
