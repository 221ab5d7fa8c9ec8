// Builds the web console (web/, Vite) into the Worker's static assets, dist/assets: index.html and
// dist/assets/console/*, and the headers they are served with (_headers). Skips the build when index.html is newer than every file under web/;
// `node --import tsx scripts/build-console.ts [--force]`.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { ASSETS_DIR, REPO_ROOT } from "./build-agent";

export const WEB_DIR = join(REPO_ROOT, "web");
export const CONSOLE_INDEX = join(ASSETS_DIR, "index.html");

function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export async function buildConsole(options: { force?: boolean } = {}): Promise<"built" | "current"> {
  // Stale when a file under web/ or the lockfile (Preact, Vite) is newer than the built page.
  const inputs = Math.max(newestUnder(WEB_DIR), statSync(join(REPO_ROOT, "package-lock.json")).mtimeMs);
  if (!options.force && existsSync(CONSOLE_INDEX) && statSync(CONSOLE_INDEX).mtimeMs > inputs) return "current";
  // Built aside, then moved into place: a failed build, or one under a running cluster, never
  // leaves index.html naming chunks that are gone. dist/assets also holds the agent bundle.
  mkdirSync(ASSETS_DIR, { recursive: true });
  const staging = mkdtempSync(join(REPO_ROOT, "dist", ".console-"));
  try {
    await build({ configFile: join(WEB_DIR, "vite.config.ts"), logLevel: "warn", build: { outDir: staging, emptyOutDir: true } });
    rmSync(join(ASSETS_DIR, "console"), { recursive: true, force: true });
    renameSync(join(staging, "console"), join(ASSETS_DIR, "console"));
    // The security headers (web/public/_headers) before the page that relies on them.
    renameSync(join(staging, "_headers"), join(ASSETS_DIR, "_headers"));
    renameSync(join(staging, "index.html"), CONSOLE_INDEX);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return "built";
}

/** For starting a local cluster: builds the console if stale, never throws (the API serves without it). */
export async function ensureConsoleAssets(log: (line: string) => void = () => undefined): Promise<void> {
  try {
    if ((await buildConsole()) === "built") log(`web console: built ${CONSOLE_INDEX}`);
  } catch (error) {
    log(`web console: build failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildConsole({ force: process.argv.includes("--force") })
    .then((outcome) => process.stdout.write(`build-console: ${outcome} ${CONSOLE_INDEX}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`build-console: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
