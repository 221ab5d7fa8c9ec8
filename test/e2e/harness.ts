// End-to-end harness: each test file starts its own local cluster (a fresh temp state directory,
// a free port) through the same code as `npm start`, and drives it with the real kubectl binary.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { ClusterStartError, findFreePort, startLocalCluster, type LocalCluster } from "../../scripts/lib/local-cluster";
import { liveGroupMembers } from "../../scripts/lib/process-group";

/** A kubectl call that hangs (a watch that never ends, a server that never answers) fails instead. */
const KUBECTL_TIMEOUT_MS = 60_000;
const OUTPUT_LINES_KEPT = 2_000;

export interface StartClusterOptions {
  /** Reuse this state directory (and keep it on stop); default: a new temp directory, removed on stop. */
  root?: string;
  /** wrangler configuration; the repository's wrangler.toml by default. */
  config?: string;
  /** kubectl binary; default $KUBECTL, else `kubectl` on PATH (e.g. KUBECTL=kubectl.1.27). */
  kubectl?: string;
  /** Extra Worker variables, e.g. short node-lifecycle timings. */
  vars?: Record<string, string>;
  /** Also receives every line wrangler prints (benchmarks count the requests it logs). */
  onOutput?: (line: string) => void;
  /** wrangler's line per request (default true); false leaves it warnings and errors only. */
  requestLog?: boolean;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when kubectl could not be run or was killed (timeout). */
  code: number;
}

export interface KubectlOptions {
  stdin?: string;
  timeoutMs?: number;
  /** Another kubectl binary for this call (the release matrix runs several against one cluster). */
  bin?: string;
}

export interface Cluster {
  url: string;
  /** Path of the cluster's kubeconfig (CA data and the admin token). */
  kubeconfig: string;
  token: string;
  caPem: string;
  /** The state directory (PKI, D1, Durable Objects, kubeconfig). */
  root: string;
  /** wrangler's PID, also the process group of every workerd it runs. */
  pid: number;
  /** Milliseconds from startCluster() until /healthz answered over TLS. */
  startupMs: number;
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** wrangler's output so far (most recent lines), for failure messages. */
  output(): string;
  /** Stops wrangler and its workerd processes (throws if one survives), then removes a temp root. */
  stop(): Promise<void>;
}

/** Process groups still running, killed if the test process exits without calling stop(). */
const runningGroups = new Set<number>();
process.on("exit", () => {
  for (const pgid of runningGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` (a command on PATH, or a path) can be executed. */
export function toolAvailable(name: string): boolean {
  if (name.includes("/")) return isExecutable(name);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && isExecutable(join(dir, name)));
}

/**
 * For `describe.skipIf(!requireTool("kubectl"))`: true when the tool is there. When it is missing,
 * under CI=true this throws (the suite fails: CI must never pass by skipping); elsewhere it returns
 * false so a developer without the tool skips those tests.
 */
export function requireTool(name: string): boolean {
  if (toolAvailable(name)) return true;
  if (process.env.CI === "true" || process.env.CI === "1") {
    throw new Error(`${name} is required by the end-to-end tests but was not found on PATH (CI=true: failing, not skipping)`);
  }
  return false;
}

function runKubectl(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: KubectlOptions,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? KUBECTL_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: stderr + String(error), code: -1 });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}

export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const ownsRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "edgeplane-e2e-")));
  const lines: string[] = [];
  const port = await findFreePort();
  let local: LocalCluster;
  try {
    local = await startLocalCluster({
      root,
      port,
      config: options.config,
      vars: options.vars,
      requestLog: options.requestLog,
      // Each test cluster serves the code it started with: another test rebuilding the agent
      // bundle (or an edit during a run) must not reload it mid-test.
      watch: false,
      onOutput: (line) => {
        options.onOutput?.(line);
        lines.push(line);
        if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
      },
    });
  } catch (error) {
    if (ownsRoot) await rm(root, { recursive: true, force: true });
    if (error instanceof ClusterStartError) {
      throw new Error(`${error.message}\n--- wrangler output (last lines) ---\n${error.output}`);
    }
    throw error;
  }
  runningGroups.add(local.pid);

  const bin = options.kubectl ?? process.env.KUBECTL ?? "kubectl";
  // Only this cluster's kubeconfig, and a discovery cache of its own (not ~/.kube/cache).
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: local.kubeconfig, KUBECACHEDIR: join(root, "kube-cache") };
  const pid = local.pid;
  const stopLocal = local.stop;

  return {
    url: local.url,
    kubeconfig: local.kubeconfig,
    token: local.token,
    caPem: local.caPem,
    root,
    pid,
    startupMs: local.startupMs,
    kubectl: (args, kubectlOptions = {}) => runKubectl(kubectlOptions.bin ?? bin, args, env, kubectlOptions),
    output: () => lines.join("\n"),
    async stop() {
      await stopLocal();
      runningGroups.delete(pid);
      const survivors = liveGroupMembers(pid);
      if (survivors.length > 0) throw new Error(`processes ${survivors.join(", ")} survived the cluster's stop`);
      if (ownsRoot && !process.env.EDGEPLANE_E2E_KEEP_STATE) await rm(root, { recursive: true, force: true });
    },
  };
}
