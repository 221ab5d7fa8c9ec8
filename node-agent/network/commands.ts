// The kernel's own tools (nft, ip, iptables), run with arguments (no shell) and, for nft, a
// script on stdin: one process applies one whole transaction.
import { execFile } from "node:child_process";

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${code}`}`);
  }
}

export const COMMAND_TIMEOUT_MS = 30_000;

export function runCommand(file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new CommandError(`${file} ${args.join(" ")}`, typeof error.code === "number" ? error.code : null, String(stderr || error.message)));
      else resolve(String(stdout));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Applies an nft script as one atomic transaction. */
export function nft(script: string): Promise<string> {
  return runCommand("nft", ["-f", "-"], script);
}
