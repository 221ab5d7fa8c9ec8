// The probes of one pod: a ProbeWorker per (container, kind) for the running container id.
// Liveness and readiness wait for the startup probe; a failed liveness (or a startup probe out
// of attempts) asks the pod worker to kill the container, which then restarts per restartPolicy.
import type { KubeletContext } from "./context";
import { isRunning, startedMs, type Seen } from "./observe";
import { ProbeWorker, type ProbeKind } from "./probes";
import { fieldPathOf } from "./start-container";
import type { Container, Pod } from "./types";

interface ContainerProbes {
  id: string;
  workers: Partial<Record<ProbeKind, ProbeWorker>>;
}

export class ProbeSet {
  private readonly byName = new Map<string, ContainerProbes>();
  private readonly killed = new Set<string>();

  constructor(
    private readonly ctx: KubeletContext,
    public pod: Pod,
    private readonly onChange: () => void,
    private readonly onKill: (container: Container, message: string) => void,
  ) {}

  containerIdOf(name: string): string | undefined {
    return this.byName.get(name)?.id;
  }

  killedByLiveness(id: string): boolean {
    return this.killed.has(id);
  }

  started(name: string, id: string): boolean {
    const container = this.pod.spec.containers.find((c) => c.name === name);
    if (!container?.startupProbe) return true;
    const entry = this.byName.get(name);
    return entry?.id === id && entry.workers.startup?.verdict === true;
  }

  ready(name: string, id: string): boolean {
    const container = this.pod.spec.containers.find((c) => c.name === name);
    if (!container?.readinessProbe) return true;
    const entry = this.byName.get(name);
    return entry?.id === id && entry.workers.readiness?.verdict === true;
  }

  private worker(kind: ProbeKind, container: Container, seen: Seen, podIP: string): ProbeWorker {
    const probe = container[`${kind}Probe`]!;
    const label = kind[0]!.toUpperCase() + kind.slice(1);
    const id = seen.managed.id;
    const worker: ProbeWorker = new ProbeWorker(kind, probe, { runtime: this.ctx.runtime, containerId: id, podIP, container }, startedMs(seen), (verdict, changed, failure, failures) => {
      if (failure !== undefined) this.ctx.events.record(this.pod, "Warning", "Unhealthy", `${label} probe failed: ${failure}`, fieldPathOf(container, false));
      const outOfAttempts = kind === "startup" && failure !== undefined && failures >= (probe.failureThreshold ?? 3);
      if ((kind === "liveness" && changed && !verdict) || outOfAttempts) {
        this.killed.add(id);
        worker.stop();
        this.onKill(container, failure ?? "");
        return;
      }
      if (changed) this.onChange();
    });
    return worker;
  }

  /** Matches workers to the running containers; stops those of containers that are gone. */
  sync(byName: Map<string, Seen[]>, podIP: string): void {
    for (const container of this.pod.spec.containers) {
      const current = byName.get(container.name)?.[0];
      let entry = this.byName.get(container.name);
      if (!current || !isRunning(current)) {
        if (entry) this.stopEntry(container.name, entry);
        continue;
      }
      if (entry && entry.id !== current.managed.id) {
        this.stopEntry(container.name, entry);
        entry = undefined;
      }
      if (!entry) {
        entry = { id: current.managed.id, workers: {} };
        this.byName.set(container.name, entry);
      }
      if (container.startupProbe && !entry.workers.startup) entry.workers.startup = this.worker("startup", container, current, podIP);
      const startupPassed = !container.startupProbe || entry.workers.startup?.verdict === true;
      if (!startupPassed || this.killed.has(current.managed.id)) continue;
      if (container.livenessProbe && !entry.workers.liveness) entry.workers.liveness = this.worker("liveness", container, current, podIP);
      if (container.readinessProbe && !entry.workers.readiness) entry.workers.readiness = this.worker("readiness", container, current, podIP);
    }
  }

  private stopEntry(name: string, entry: ContainerProbes): void {
    for (const worker of Object.values(entry.workers)) worker.stop();
    this.byName.delete(name);
  }

  /** Stops every worker whose container name is not in `keep`. */
  retain(keep: Set<string>): void {
    for (const [name, entry] of [...this.byName]) if (!keep.has(name)) this.stopEntry(name, entry);
  }
}
