// Builds what every local cluster serves (the agent bundle, the web console) once, before the
// end-to-end files start their clusters in parallel: concurrent builds would write the same files.
import { ensureAgentAssets } from "../../scripts/build-agent";
import { buildConsole } from "../../scripts/build-console";

export default async function setup(): Promise<void> {
  await ensureAgentAssets((line) => process.stderr.write(`${line}\n`));
  await buildConsole();
}
