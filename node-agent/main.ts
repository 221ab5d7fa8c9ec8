// The node agent's entry point (`node agent.mjs --config <file>`): one agent on Docker (agent.ts).
// SIGTERM/SIGINT stop the agent but never its containers: the next start adopts them.
import { startAgent } from "./agent";
import { configPathFromArgs, loadConfig } from "./config";
import { tearDownHost } from "./network/host";

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

async function main(): Promise<void> {
  const config = await loadConfig(configPathFromArgs(process.argv.slice(2)));
  if (process.argv.includes("--teardown-network")) {
    // install.sh --uninstall: the kernel state the pod network left behind.
    if (config.network.enabled) await tearDownHost(config.network);
    return;
  }
  const agent = await startAgent({ config, log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the agent (containers keep running)`);
    void agent.stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
