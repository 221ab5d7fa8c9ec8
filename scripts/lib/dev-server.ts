// The local cluster's Worker server: what `wrangler dev --local` runs, started through
// wrangler's own startWorker API (the repository's pinned wrangler) so that the DevTools
// inspector can be left off. The CLI always attaches one and enables its Network domain:
// every subrequest (each D1 query, each Durable Object call) then becomes an inspector event
// relayed to wrangler's Node process and appended to its debug log file. 1,500 ConfigMap
// creates took 30 s that way on a 2-core machine, and 6 s with this (BENCHMARKS.md).
// Run by scripts/lib/wrangler.ts as a child process: `node --import tsx dev-server.ts <json>`.
import { unstable_startWorker } from "wrangler";

export interface DevServerOptions {
  config: string;
  persistTo: string;
  host: string;
  port: number;
  tlsKey: string;
  tlsCert: string;
  envFile: string;
  /** A DevTools inspector on this port; none when absent. */
  inspectorPort?: number;
  /** wrangler's line per request served; without it, warnings and errors only. */
  requestLog: boolean;
  /**
   * Rebuild and reload on an edit of the Worker's code or assets, as `wrangler dev` does (npm
   * start). Tests turn it off: one test rebuilding the agent bundle reloaded every running cluster.
   */
  watch?: boolean;
}

async function main(options: DevServerOptions): Promise<void> {
  const worker = await unstable_startWorker({
    config: options.config,
    envFiles: [options.envFile],
    dev: {
      remote: false,
      persist: options.persistTo,
      inspector: options.inspectorPort === undefined ? false : { hostname: "127.0.0.1", port: options.inspectorPort },
      logLevel: options.requestLog ? "info" : "warn",
      watch: options.watch !== false,
      server: { hostname: options.host, port: options.port, secure: true, httpsKeyPath: options.tlsKey, httpsCertPath: options.tlsCert },
    },
  });
  await worker.ready;
  console.log(`[dev-server] Ready on ${(await worker.url).href}`);
  const stop = () => {
    void worker.dispose().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** The error and its causes: wrangler wraps a build failure ("Build failed with 1 error") in a generic one. */
function describe(error: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = error; e !== undefined && lines.length < 5; e = e instanceof Error ? e.cause : undefined) {
    lines.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  return lines.join("\ncaused by: ");
}

main(JSON.parse(process.argv[2] ?? "{}") as DevServerOptions).catch((error: unknown) => {
  console.error(`dev-server: ${describe(error)}`);
  process.exit(1);
});
