// What the end-to-end files share: a kubectl call that must succeed, and polling for
// state the controllers reach moments after a write.
import type { Cluster } from "./harness";

/** Runs kubectl and returns its stdout; a non-zero exit fails the test with kubectl's stderr. */
export async function kubectlOk(cluster: Cluster, args: string[], timeoutMs = 90_000): Promise<string> {
  const result = await cluster.kubectl(args, { timeoutMs });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Polls `probe` until it returns true, failing with `what` after `timeoutMs`. */
export async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 15_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
