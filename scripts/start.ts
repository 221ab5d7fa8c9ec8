// `npm start`: a one-node edgeplane cluster on this machine, the Worker in local workerd with its
// state under .edgeplane/ and a kubeconfig for kubectl. `npm start -- --reset` starts from scratch.
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { dockerEngineStatus, startLocalAgent } from "./lib/local-agent";
import { DEFAULT_PORT, startLocalCluster, type LocalCluster } from "./lib/local-cluster";
import { REPO_ROOT } from "./lib/wrangler";

const DEFAULT_STATE_ROOT = join(REPO_ROOT, ".edgeplane");

/** wrangler lines that say nothing to someone running a cluster. */
const NOISE = [
  /^\s*$/,
  /^Using secrets defined in /,
  /^Using custom certificate at /,
  /^Your Worker has access to the following bindings:/,
  /^Binding\s+Resource\s+Mode/,
  /^env\.\S+/,
  /^⎔ (Starting|Reloading) local server/,
  /^\[wrangler:info\] Ready on /,
  /^Resource location: local/,
  /^Use --remote if you want to access the remote instance\./,
  /--remote flag to your wrangler command/,
  /^\? About to apply \d+ migration/,
  /^Your database may not be available to serve requests/,
  /^🤖 Using fallback value in non-interactive context/,
];
const ANSI_SGR = new RegExp(String.raw`\u001b\[[0-9;]*m`, "g");

function write(text: string): void {
  process.stdout.write(text + "\n");
}

/** One line per API request (the agent alone makes several a minute): shown only with --verbose. */
const REQUEST_LINE = /^\[wrangler:info\] (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /;
let showRequests = false;

function forward(line: string): void {
  const plain = line.replace(ANSI_SGR, "");
  if (!showRequests && REQUEST_LINE.test(plain)) return;
  if (!NOISE.some((pattern) => pattern.test(plain))) write(line);
}

/**
 * One node agent on the local Docker engine, so the cluster has a node (like minikube). Without a
 * reachable engine the control plane runs alone, and this says so. Returns the function that stops it.
 */
async function startAgentIfDocker(cluster: LocalCluster, enabled: boolean, nodeName: string | undefined, ingress: IngressPorts | undefined): Promise<() => Promise<void>> {
  if (!enabled) {
    write("  node agent:  not started (--no-agent); the cluster has no nodes");
    return async () => {};
  }
  const docker = await dockerEngineStatus();
  if (!docker.ok) {
    write(`  node agent:  no Docker engine found (${docker.reason});`);
    write("               the control plane runs alone. Start dockerd and run npm start again for a node.");
    return async () => {};
  }
  const agent = await startLocalAgent({
    root: cluster.paths.root,
    url: cluster.url,
    caPem: cluster.caPem,
    adminToken: cluster.token,
    nodeName,
    ingress,
    onOutput: (line) => write(`[agent] ${line}`),
  });
  write(`  node agent:  node ${agent.nodeName} on Docker ${docker.version} (pid ${agent.pid}); kubectl get nodes`);
  if (ingress) {
    const at = (scheme: string, port: number, standard: number) => `${scheme}://127.0.0.1${port === standard ? "" : `:${port}`}/`;
    write(`  ingress:     ${at("http", ingress.http, 80)} and ${at("https", ingress.https, 443)} (IngressClass edgeplane; nginx on this node)`);
    write(`               curl -H 'Host: myapp.com' ${at("http", ingress.http, 80)}`);
  } else {
    write("  ingress:     off (--no-ingress)");
  }
  void agent.exited.then((code) => {
    if (code !== null && code !== 0) write(`[agent] exited with code ${code}; the node will turn NotReady`);
  });
  return () => agent.stop();
}

interface IngressPorts {
  http: number;
  https: number;
}

/** `--ingress-ports 8080,8443`; 80 and 443 by default, as minikube's ingress addon. */
function parseIngressPorts(value: string | undefined, disabled: boolean): IngressPorts | undefined {
  if (disabled) return undefined;
  if (value === undefined) return { http: 80, https: 443 };
  const [http, https, ...rest] = value.split(",").map((p) => parsePort(p));
  if (http === undefined || https === undefined || rest.length > 0 || http === https) throw new Error(`--ingress-ports takes two different ports, HTTP,HTTPS (got ${value})`);
  return { http, https };
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`invalid port: ${value}`);
  return port;
}

const USAGE = `usage: npm start [-- [--port N] [--reset] [--config wrangler.toml] [--no-agent] [--ingress-ports H,S] [--no-ingress] [--verbose] [--state DIR] [--node-name N] [--inspector-port N]]
  --port N        serve on https://127.0.0.1:N (default: $PORT, else ${DEFAULT_PORT})
  --reset         delete .edgeplane/ (objects, CA, admin token, kubeconfig) before starting
  --config FILE   another wrangler configuration (default: the repository's wrangler.toml)
  --no-agent      run the control plane only, without a node agent on the local Docker engine
  --ingress-ports H,S  serve Ingress on these HTTP and HTTPS ports (default: 80,443)
  --no-ingress    the node serves no Ingress (no nginx)
  --verbose       also print one line per API request
  --state DIR     keep the cluster's state in DIR (default: .edgeplane/ in the repository)
  --node-name N   the local node's name (default: this machine's hostname)
  --inspector-port N  a DevTools inspector for the Worker on 127.0.0.1:N (default: none; it slows every request)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reset: { type: "boolean", default: false },
      port: { type: "string" },
      config: { type: "string" },
      "no-agent": { type: "boolean", default: false },
      "ingress-ports": { type: "string" },
      "no-ingress": { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      state: { type: "string" },
      "node-name": { type: "string" },
      "inspector-port": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return write(USAGE);
  showRequests = values.verbose;
  const stateRoot = resolve(values.state ?? DEFAULT_STATE_ROOT);
  const port = parsePort(values.port ?? process.env.PORT);
  const inspectorPort = values["inspector-port"] === undefined ? undefined : parsePort(values["inspector-port"]);
  const ingress = parseIngressPorts(values["ingress-ports"], values["no-ingress"]);

  // Signals are ours from the start: wrangler runs in its own process group, so a Ctrl-C that
  // killed only this process would leave it running.
  const startup = new AbortController();
  let cluster: LocalCluster | undefined;
  let stopAgent: () => Promise<void> = async () => {};
  let shuttingDown = false;
  const shutdown = async (reason: string, code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    // Still starting: startLocalCluster sees the abort, stops wrangler itself and rejects.
    if (!cluster) return startup.abort();
    write(`\n${reason}: stopping edgeplane ...`);
    await stopAgent();
    await cluster.stop();
    write("stopped.");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

  if (values.reset) {
    await rm(stateRoot, { recursive: true, force: true });
    write(`reset: removed ${stateRoot}`);
  }
  write(`Starting edgeplane (state in ${stateRoot}) ...`);
  try {
    cluster = await startLocalCluster({
      root: stateRoot,
      port,
      config: values.config,
      onOutput: forward,
      // Request lines are shown only with --verbose: without it, wrangler need not make them.
      requestLog: showRequests,
      inspectorPort,
      signal: startup.signal,
    });
  } catch (error) {
    if (!startup.signal.aborted) throw error;
    write("interrupted during startup; stopped.");
    process.exit(130);
  }
  void cluster.exited.then((code) => shutdown(`the dev server exited (code ${code})`, code || 1));

  write("");
  write(`edgeplane is ready (started in ${(cluster.startupMs / 1000).toFixed(1)} s)`);
  write(`  API server:  ${cluster.url}`);
  write(`  kubectl:     export KUBECONFIG=${cluster.kubeconfig}`);
  write(`               kubectl get namespaces`);
  write(`  admin token: ${cluster.paths.adminToken}`);
  write(`  console:     ${cluster.url}/  (sign in with the admin token; the browser must trust ${cluster.paths.root}/pki or accept the warning)`);
  try {
    stopAgent = await startAgentIfDocker(cluster, !values["no-agent"], values["node-name"], ingress);
  } catch (error) {
    write(`  node agent:  failed to start (${error instanceof Error ? error.message : String(error)}); the control plane runs alone`);
  }
  write("Press Ctrl-C to stop (state is kept; `npm start -- --reset` wipes it).");
  write("");
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
