// The child process of agent-fleet.ts: runs the hollow nodes it is asked for and answers over IPC.
import { startHollowNodes, type HollowNodes } from "../../test/e2e/hollow-nodes";

let nodes: HollowNodes | undefined;

const reply = (message: object) => process.send?.(message);
const failed = (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) });

process.on("message", (message: { start?: { kubeconfig: string; names: string[]; options: object }; kill?: string; stop?: true }) => {
  if (message.start) {
    const { kubeconfig, names, options } = message.start;
    // HOLLOW_LOG=true: the agents' log lines on stderr (why a benchmark's pods do not start).
    const onLog = process.env.HOLLOW_LOG === "true" ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    startHollowNodes(kubeconfig, names, { ...options, tunnel: false, quiet: true, onLog }).then((started) => {
      nodes = started;
      reply({ started: true });
    }, failed);
  } else if (message.kill) {
    const name = message.kill;
    (nodes?.kill(name) ?? Promise.resolve()).then(() => reply({ killed: name }), failed);
  } else if (message.stop) {
    (nodes?.stop() ?? Promise.resolve()).then(() => {
      reply({ stopped: true });
      process.disconnect();
      process.exit(0);
    }, failed);
  }
});
// The parent went away: stop with it.
process.on("disconnect", () => process.exit(0));
