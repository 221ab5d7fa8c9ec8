// A local edgeplane cluster: the Worker in workerd through Miniflare (dev-server.ts),
// serving HTTPS with the cluster's own CA, state under one root directory (.edgeplane for
// `npm start`, a temp dir in tests).
import { ensureAgentAssets } from "../build-agent";
import { ensureConsoleAssets } from "../build-console";
import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { ensureCredentials, writeWorkerEnvFile } from "./credentials";
import { buildKubeconfig, writeKubeconfig } from "./kubeconfig";
import { adminCall } from "./admin-api";
import { parse, stringify } from "yaml";
import { ensurePki } from "./pki";
import { stopProcessGroup } from "./process-group";
import { applyMigrations, DEFAULT_WRANGLER_CONFIG, exitOf, startWranglerDev, type LineSink } from "./wrangler";

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = "127.0.0.1";
/** The first start bundles the Worker with esbuild; a cold machine needs a few seconds. */
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_INTERVAL_MS = 100;
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;
const OUTPUT_TAIL_LINES = 60;
const BUILD_FAILED = /Build failed with \d+ error/;
const ANSI_SGR = new RegExp(String.raw`\u001b\[[0-9;]*m`, "g");

export interface ClusterPaths {
  root: string;
  /** wrangler's --persist-to: D1 SQLite files and Durable Object storage. */
  state: string;
  pki: string;
  kubeconfig: string;
  adminToken: string;
  secretsKey: string;
  /** Derived on every start from adminToken and secretsKey; read by the dev server as its env file. */
  workerEnv: string;
}

export function clusterPaths(root: string): ClusterPaths {
  const abs = resolve(root);
  return {
    root: abs,
    state: join(abs, "state"),
    pki: join(abs, "pki"),
    kubeconfig: join(abs, "kubeconfig"),
    adminToken: join(abs, "admin-token"),
    secretsKey: join(abs, "secrets-encryption-key"),
    workerEnv: join(abs, "worker.env"),
  };
}

export interface StartLocalClusterOptions {
  /** Directory holding all the cluster's state; created when missing, reused when present. */
  root: string;
  port?: number;
  host?: string;
  /** wrangler configuration; the repository's wrangler.toml by default. */
  config?: string;
  /** D1 binding whose migrations are applied before serving. */
  database?: string;
  /** Extra Worker variables (e.g. NODE_MONITOR_GRACE_PERIOD_SECONDS), written to worker.env. */
  vars?: Record<string, string>;
  /** Receives every line wrangler prints. */
  onOutput?: LineSink;
  readyTimeoutMs?: number;
  /** A DevTools inspector for workerd on this port (to debug the Worker); none when absent. */
  inspectorPort?: number;
  /** A line per request served (default true); without it only warnings and errors are printed. */
  requestLog?: boolean;
  /** Reload on edits of the Worker's code or assets (default true, as `wrangler dev` does); tests turn it off. */
  watch?: boolean;
  /** Aborting (Ctrl-C during startup) stops wrangler and rejects. */
  signal?: AbortSignal;
}

export interface LocalCluster {
  url: string;
  paths: ClusterPaths;
  /** Absolute path of the kubeconfig written for this cluster. */
  kubeconfig: string;
  token: string;
  caPem: string;
  /** PID of wrangler, which is also the process group of it and its workerd children. */
  pid: number;
  /** Milliseconds from the call until /healthz answered. */
  startupMs: number;
  /** Resolves with wrangler's exit code when it exits, whether stopped or crashed. */
  exited: Promise<number | null>;
  /** Stops wrangler and every workerd it started; safe to call more than once. */
  stop(): Promise<void>;
}

/** Startup failed; `output` holds wrangler's last lines (already passed to onOutput as they came). */
export class ClusterStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = "ClusterStartError";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Asks the OS for a free TCP port on `host` (for tests that run clusters side by side). */
export function findFreePort(host = DEFAULT_HOST): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} is already in use (is another cluster running? try --port)`)
          : error,
      ),
    );
    server.listen(port, host, () => server.close(() => done()));
  });
}

/** One GET /healthz that verifies the serving certificate against the cluster's CA. */
export function healthy(url: string, caPem: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request(`${url}/healthz`, { ca: caPem, timeout: HEALTH_REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(false));
    req.end();
  });
}

interface WaitOptions {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** A reason to give up early, if something already went wrong. */
  failed: () => string | undefined;
}

async function waitHealthy(url: string, caPem: string, child: ChildProcess, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exitCode: number | null | undefined;
  void exitOf(child).then((code) => (exitCode = code));
  while (!(await healthy(url, caPem))) {
    if (options.signal?.aborted) throw new Error("startup aborted");
    const failure = options.failed();
    if (failure) throw new Error(failure);
    if (exitCode !== undefined) throw new Error(`the dev server exited (code ${exitCode}) before ${url}/healthz answered`);
    if (Date.now() >= deadline) throw new Error(`${url}/healthz did not answer within ${options.timeoutMs} ms`);
    await sleep(READY_POLL_INTERVAL_MS);
  }
}

/**
 * kube-public/cluster-info, as kubeadm publishes it: the server and the CA that signed its
 * certificate, no credentials. The console's kubeconfig download takes the CA from it.
 */
async function publishClusterInfo(kubeconfig: string, server: string, caPem: string): Promise<void> {
  const path = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
  const info = { server, caPem, token: "" };
  const published = parse(buildKubeconfig(info)) as { users?: unknown; contexts?: unknown; "current-context"?: unknown };
  delete published.users;
  delete published.contexts;
  delete published["current-context"];
  const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cluster-info", namespace: "kube-public" }, data: { kubeconfig: stringify(published) } };
  // Server-side apply: created on the first start, brought up to date (a new port) on later ones.
  const apply = (target: string, object: unknown) => adminCall(kubeconfig, "PATCH", `${target}?fieldManager=edgeplane-start&force=true`, object, "application/apply-patch+yaml");
  await apply(path, body);
  // Readable by every signed-in user, as kubeadm's bootstrap-signer-clusterinfo Role makes it
  // (kubeadm grants system:anonymous; here no request is anonymous).
  const rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public";
  const role = "edgeplane:cluster-info-reader";
  await apply(`${rbac}/roles/${encodeURIComponent(role)}`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: role, namespace: "kube-public" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-info"], verbs: ["get"] }],
  });
  await apply(`${rbac}/rolebindings/${encodeURIComponent(role)}`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: role, namespace: "kube-public" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:authenticated" }],
  });
}

/**
 * Prepares the root (CA, serving certificate, admin token, encryption key: each made once and
 * then reused), applies D1 migrations, starts the Worker's dev server over HTTPS, writes the kubeconfig and
 * resolves once /healthz answers over TLS verified with the cluster's CA.
 */
export async function startLocalCluster(options: StartLocalClusterOptions): Promise<LocalCluster> {
  const started = Date.now();
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const config = resolve(options.config ?? DEFAULT_WRANGLER_CONFIG);
  const paths = clusterPaths(options.root);
  const tail: string[] = [];
  // A failed build at startup is a failure (after startup, the last good Worker keeps serving).
  let buildFailed = false;
  const onLine: LineSink = (line) => {
    if (BUILD_FAILED.test(line)) buildFailed = true;
    tail.push(line.replace(ANSI_SGR, ""));
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    options.onOutput?.(line);
  };

  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  await mkdir(paths.state, { recursive: true });
  const pki = await ensurePki(paths.pki);
  const credentials = await ensureCredentials(paths);
  await writeWorkerEnvFile(paths.workerEnv, credentials, options.vars);
  await assertPortFree(host, port);
  options.signal?.throwIfAborted();
  // wrangler's build refuses a config whose [assets] directory is missing; skipped when current.
  await ensureAgentAssets(onLine);
  await ensureConsoleAssets(onLine);
  await applyMigrations({ config, persistTo: paths.state, database: options.database ?? "DB", onLine });

  const url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  await writeKubeconfig(paths.kubeconfig, { server: url, caPem: pki.caPem, token: credentials.adminToken });

  const child = startWranglerDev({
    config,
    persistTo: paths.state,
    host,
    port,
    tlsKey: pki.paths.serverKey,
    tlsCert: pki.paths.serverCert,
    envFile: paths.workerEnv,
    inspectorPort: options.inspectorPort,
    requestLog: options.requestLog,
    watch: options.watch,
    onLine,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn the dev server");
  const exited = exitOf(child);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopProcessGroup(pid));

  try {
    await waitHealthy(url, pki.caPem, child, {
      timeoutMs: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
      signal: options.signal,
      failed: () => (buildFailed ? "the Worker failed to build" : undefined),
    });
    // Best effort: a Worker that serves no Kubernetes API (a test's stand-in) has nowhere to keep it,
    // and the console's kubeconfig download then goes without the CA.
    await publishClusterInfo(paths.kubeconfig, url, pki.caPem).catch((error: unknown) =>
      onLine(`cluster-info not published: ${error instanceof Error ? error.message : String(error)}`),
    );
  } catch (error) {
    await stop();
    throw new ClusterStartError(error instanceof Error ? error.message : String(error), tail.join("\n"));
  }

  return {
    url,
    paths,
    kubeconfig: paths.kubeconfig,
    token: credentials.adminToken,
    caPem: pki.caPem,
    pid,
    startupMs: Date.now() - started,
    exited,
    stop,
  };
}
