// Stopping a pod's running containers as kubelet's killContainer does: the preStop hook first
// (exec or httpGet, bounded by the grace period), then SIGTERM with the rest of the grace period
// before Docker sends SIGKILL. All containers stop in parallel.
import type { KubeletContext } from "./context";
import type { Seen } from "./observe";
import { runProbe } from "./probes";
import type { Pod } from "./types";

export async function killContainers(ctx: KubeletContext, pod: Pod, running: Seen[], graceSeconds: number): Promise<void> {
  const podIP = pod.status?.podIP ?? "";
  await Promise.all(
    running.map(async (seen) => {
      const name = seen.managed.containerName;
      const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
      const began = Date.now();
      ctx.events.record(pod, "Normal", "Killing", `Stopping container ${name}`, `spec.containers{${name}}`);
      const preStop = container?.lifecycle?.preStop;
      if (preStop && container && graceSeconds > 0) {
        const outcome = await runProbe({ ...preStop, timeoutSeconds: graceSeconds }, { runtime: ctx.runtime, containerId: seen.managed.id, podIP, container });
        if (!outcome.ok) ctx.events.record(pod, "Warning", "FailedPreStopHook", `PreStopHook failed: ${outcome.message}`, `spec.containers{${name}}`);
      }
      const left = Math.max(0, graceSeconds - (Date.now() - began) / 1000);
      await ctx.runtime.stop(seen.managed.id, left);
    }),
  );
}
