// Hollow nodes for the benchmarks: the real node agent on the hollow runtime
// (test/e2e/hollow-nodes.ts), in a child process of their own, so a thousand agents' work does
// not share an event loop with the benchmark's clients and clocks. Their API traffic (join, Node,
// Lease, pod watch, status, Events) is the real agent's.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HollowNodeOptions } from "../../test/e2e/hollow-nodes";

export interface AgentFleet {
  /** Stops one node's agent, as if its machine died. */
  kill(name: string): Promise<void>;
  stop(): Promise<void>;
}

type Request = { start: { kubeconfig: string; names: string[]; options: HollowNodeOptions } } | { kill: string } | { stop: true };
type Reply = { started: true } | { killed: string } | { stopped: true } | { error: string };

const CHILD = fileURLToPath(new URL("./agent-fleet-process.ts", import.meta.url));

export async function startAgentFleet(kubeconfig: string, names: string[], options: HollowNodeOptions = {}): Promise<AgentFleet> {
  const child: ChildProcess = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ask = (request: Request, done: (reply: Reply) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if ("error" in reply) {
          child.off("message", onMessage);
          reject(new Error(`hollow nodes: ${reply.error}`));
        } else if (done(reply)) {
          child.off("message", onMessage);
          resolve();
        }
      };
      child.on("message", onMessage);
      child.send(request);
    });
  try {
    await Promise.race([
      ask({ start: { kubeconfig, names, options } }, (r) => "started" in r),
      exited.then(() => Promise.reject(new Error("the hollow nodes' process exited while starting"))),
    ]);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    kill: (name) => ask({ kill: name }, (r) => "killed" in r && r.killed === name),
    async stop() {
      if (child.exitCode !== null) return;
      await Promise.race([ask({ stop: true }, (r) => "stopped" in r).then(() => exited), new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
