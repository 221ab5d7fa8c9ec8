// One pod's worker (kubelet's podWorkers + syncPod): syncs are serialised and coalesced; each
// sync plans from the pod spec against what the runtime holds (pod-actions.ts, so adoption after
// an agent restart is the same code path), applies the plan: the sandbox, then what is missing,
// restarts per restartPolicy with back-off; then reports status only when it changed. A pod with
// deletionTimestamp is torn down gracefully.
import { timestamp } from "../../shared/time";
import { isNotFound } from "../api-client";
import type { ManagedContainer, PodRef } from "../runtime/labels";
import { cleanupPodVolumes, prepareVolumes, VolumeError } from "../volumes/volumes";
import { backoffRemaining, nextBackoff, type BackoffEntry } from "./backoff";
import type { KubeletContext } from "./context";
import { referencedObjects } from "./env";
import { byNewest, finishedMs, isFinished, isRunning, rfc3339, startedMs, terminatedOf, type Seen } from "./observe";
import { planContainers, planPrune, planSandbox, type ContainerStep } from "./pod-actions";
import type { ObjectKind } from "./object-watches";
import { ProbeSet } from "./probe-set";
import { writePodHosts, writePodResolvConf } from "./resolv-conf-file";
import { computePodStatus, stableJson, type ObservedContainer } from "./status";
import { fieldPathOf, pullPolicyOf, startContainer } from "./start-container";
import { killContainers } from "./teardown";
import type { ConfigMap, Container, Pod, PodStatus, Secret } from "./types";

/** CreateContainerConfigError is retried this often; volume setup backs off up to it. */
export const RETRY_MS = 10_000;
/** How long a pod start waits for the node's podCIDR (assigned by the control plane at registration). */
export const POD_CIDR_WAIT_MS = 30_000;
/**
 * A failed sync, or a volume not ready yet (a claim the provisioner binds a moment after the pod
 * is scheduled), is retried after this, doubling up to RETRY_MS while it keeps failing: kubelet's
 * volume manager starts at the same 500 ms.
 */
const FIRST_FAILURE_DELAY_MS = 500;

const nextDelayMs = (previousMs: number) => Math.min(RETRY_MS, Math.max(FIRST_FAILURE_DELAY_MS, previousMs * 2));
export const DEFAULT_GRACE_SECONDS = 30;

type Waiting = { reason: string; message?: string };

/** Whether a container's environment takes the pod's IP, which exists only once the sandbox runs. */
function needsPodIPAtCreate(pod: Pod): boolean {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  return all.some((c) => (c.env ?? []).some((e) => /^status\.podIPs?$/.test(e.valueFrom?.fieldRef?.fieldPath ?? "")));
}

export class PodWorker {
  private running = false;
  private dirty = false;
  private failedUntil = 0;
  private failureDelayMs = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Map<string, BackoffEntry>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly probes: ProbeSet;
  private lastStatus: string | undefined;
  private lastMountError: string | undefined;
  private mountRetryMs = 0;
  private startTime: string | undefined;
  /** Set once the pod is torn down; the manager then forgets the worker. */
  finished = false;
  /** The pod is gone from the API: tear down without a final DELETE. */
  private removed = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: KubeletContext,
    private pod: Pod,
    private readonly onFinished: (uid: string) => void,
  ) {
    this.probes = new ProbeSet(ctx, pod, () => this.kick(), (container, message) => this.livenessFailed(container, message));
    this.startTime = pod.status?.startTime;
  }

  get uid(): string {
    return this.pod.metadata.uid ?? "";
  }

  private get ref(): PodRef {
    return { namespace: this.pod.metadata.namespace ?? "default", name: this.pod.metadata.name, uid: this.uid };
  }

  update(pod: Pod): void {
    this.pod = pod;
    this.probes.pod = pod;
    this.kick();
  }

  /** Runs a sync now, or right after the running one (bursts collapse into one more sync). */
  kick(): void {
    if (this.finished) return;
    // After a failed sync, events the failure itself caused must not retry it at once.
    const backoffLeft = this.failedUntil - Date.now();
    if (backoffLeft > 0 && !this.running) {
      this.wakeIn(backoffLeft);
      return;
    }
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.idle = (async () => {
      do {
        this.dirty = false;
        try {
          await this.sync();
          this.failureDelayMs = 0;
        } catch (error) {
          this.ctx.log(`pod ${this.ref.namespace}/${this.ref.name}: sync failed: ${error instanceof Error ? error.message : String(error)}`);
          this.failureDelayMs = nextDelayMs(this.failureDelayMs);
          this.failedUntil = Date.now() + this.failureDelayMs;
          this.dirty = false;
          this.wakeIn(this.failureDelayMs);
        }
      } while (this.dirty && !this.finished);
      this.running = false;
    })();
  }

  /** Resolves when the current sync (if any) is over. */
  settled(): Promise<void> {
    return this.idle;
  }

  private wakeIn(ms: number): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(ms, 50));
  }

  private livenessFailed(container: Container, message: string): void {
    const seenId = this.probes.containerIdOf(container.name);
    this.ctx.events.record(this.pod, "Normal", "Killing", `Container ${container.name} failed liveness probe, will be restarted`, fieldPathOf(container, false));
    void (async () => {
      if (seenId) await this.ctx.runtime.stop(seenId, this.graceSeconds()).catch(() => undefined);
      this.ctx.log(`pod ${this.ref.name}: ${container.name} restarted after liveness failure: ${message}`);
      this.kick();
    })();
  }

  private graceSeconds(): number {
    return this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  private async fetchObjects(): Promise<{ configMaps: Map<string, ConfigMap>; secrets: Map<string, Secret> }> {
    const ns = this.ref.namespace;
    const refs = referencedObjects(this.pod);
    const configMaps = new Map<string, ConfigMap>();
    const secrets = new Map<string, Secret>();
    // From the node's watch of the object when it has one, else read directly.
    const get = async <T>(kind: ObjectKind, name: string): Promise<T | undefined> => {
      const cached = this.ctx.objects?.get<T>(kind, ns, name);
      if (cached !== undefined) return cached ?? undefined;
      try {
        return await this.ctx.api.get<T>(`/api/v1/namespaces/${ns}/${kind}/${name}`);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    };
    await Promise.all([
      ...[...refs.configMaps].map(async (n) => {
        const o = await get<ConfigMap>("configmaps", n);
        if (o) configMaps.set(n, o);
      }),
      ...[...refs.secrets].map(async (n) => {
        const o = await get<Secret>("secrets", n);
        if (o) secrets.set(n, o);
      }),
    ]);
    return { configMaps, secrets };
  }

  /** The ConfigMaps and Secrets this pod uses, for the node's object watches. */
  references(): { kind: ObjectKind; namespace: string; name: string }[] {
    const refs = referencedObjects(this.pod);
    const namespace = this.ref.namespace;
    return [
      ...[...refs.configMaps].map((name) => ({ kind: "configmaps" as const, namespace, name })),
      ...[...refs.secrets].map((name) => ({ kind: "secrets" as const, namespace, name })),
    ];
  }

  /** Whether this pod uses the named ConfigMap or Secret (a change to it re-syncs the pod). */
  uses(kind: "configmaps" | "secrets", namespace: string, name: string): boolean {
    if (namespace !== this.ref.namespace) return false;
    const refs = referencedObjects(this.pod);
    return (kind === "configmaps" ? refs.configMaps : refs.secrets).has(name);
  }

  private async observe(): Promise<{ sandboxes: Seen[]; byName: Map<string, Seen[]> }> {
    const list = await this.ctx.runtime.list(this.uid);
    const withInfo = await Promise.all(list.sort(byNewest).map(async (managed: ManagedContainer) => ({ managed, info: await this.ctx.runtime.inspect(managed.id) })));
    const sandboxes = withInfo.filter((s) => s.managed.type === "podsandbox");
    const byName = new Map<string, Seen[]>();
    for (const seen of withInfo) {
      if (seen.managed.type !== "container") continue;
      byName.set(seen.managed.containerName, [...(byName.get(seen.managed.containerName) ?? []), seen]);
    }
    return { sandboxes, byName };
  }

  /** The API no longer has the pod: stop and remove its containers on the next sync. */
  remove(): void {
    this.removed = true;
    this.kick();
  }

  private async sync(): Promise<void> {
    if (this.removed) return this.terminate(false);
    if (this.pod.metadata.deletionTimestamp) return this.terminate(true);
    const phase = this.pod.status?.phase;
    let { sandboxes, byName } = await this.observe();
    if (phase === "Succeeded" || phase === "Failed") {
      // A finished pod keeps its containers (for logs) but not its sandbox.
      for (const s of sandboxes) if (isRunning(s)) await this.ctx.runtime.stop(s.managed.id, 0);
      this.probes.retain(new Set());
      return;
    }
    const objects = await this.fetchObjects();
    let volumePaths: Map<string, string>;
    try {
      volumePaths = await prepareVolumes({ api: this.ctx.api, dataDir: this.ctx.dataDir, nodeName: this.ctx.nodeName, pod: this.pod, hostRoot: this.ctx.hostRoot, ...objects });
      this.lastMountError = undefined;
      this.mountRetryMs = 0;
    } catch (error) {
      if (!(error instanceof VolumeError)) throw error;
      if (this.lastMountError !== error.message) this.ctx.events.record(this.pod, "Warning", error.reason, error.message);
      this.lastMountError = error.message;
      await this.report(sandboxes, byName, "");
      this.mountRetryMs = nextDelayMs(this.mountRetryMs);
      this.wakeIn(this.mountRetryMs);
      return;
    }

    // The sandbox: reuse the running one; a dead one takes its containers with it (kubelet's SandboxChanged).
    const sandboxPlan = planSandbox({ sandboxes, byName });
    let sandbox = "keep" in sandboxPlan ? sandboxPlan.keep : undefined;
    let sandboxId = sandbox?.managed.id;
    const wiredIP = sandbox?.info?.podIP;
    if (sandbox && wiredIP && this.ctx.network && !(await this.ctx.network.attached(sandbox.managed.id))) {
      // Started by an agent that stopped before it wired the sandbox: wire it now, or start over.
      try {
        await this.ctx.network.attach(sandbox.info!.pid, wiredIP, sandbox.managed.id, true);
      } catch (error) {
        await this.ctx.runtime.remove(sandbox.managed.id).catch(() => undefined);
        throw error;
      }
    }
    /** A new sandbox's start, under way while the first containers are created (see startContainer). */
    let sandboxStarted: Promise<void> | undefined;
    /** The address the agent gave a new sandbox (known before it starts). */
    let chosenIP: string | undefined;
    if ("create" in sandboxPlan) {
      const fresh = sandboxPlan.fresh;
      for (const id of sandboxPlan.remove) await this.ctx.runtime.remove(id);
      for (const id of sandboxPlan.stop) await this.ctx.runtime.stop(id, this.graceSeconds());
      if (sandboxPlan.changed) this.ctx.events.record(this.pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
      await this.ctx.runtime.ensureNetwork(this.ctx.network ? await this.ctx.network.podCIDR(POD_CIDR_WAIT_MS) : this.ctx.podCIDR());
      const hostPorts = this.pod.spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort as number, protocol: p.protocol ?? "TCP" })));
      const hostNetwork = this.pod.spec.hostNetwork ?? false;
      const network = this.ctx.network;
      // The agent plumbs the pod's interface itself when it can (no hostPort: Docker maps those).
      chosenIP = network && this.ctx.runtime.agentAddressing && !hostNetwork && hostPorts.length === 0 ? await network.allocateAddress(() => this.ctx.runtime.podIPsInUse()) : undefined;
      sandboxId = await this.ctx.runtime.createSandbox({ pod: this.ref, hostname: this.pod.spec.hostname ?? this.pod.metadata.name, hostNetwork, hostPorts, podIP: chosenIP });
      const id = sandboxId;
      const ip = chosenIP;
      const starting = this.ctx.runtime.start(id).then(async () => {
        if (network && ip) await network.attach(await this.ctx.runtime.sandboxPid(id), ip, id);
        else await network?.sandboxStarted();
      });
      // A sandbox that started without its interface must not be reused as if it had one.
      const settled = starting.catch(async (error: unknown) => {
        await this.ctx.runtime.remove(id).catch(() => undefined);
        // Perhaps the bridge went (a network prune): the next sandbox makes it again.
        if (ip) this.ctx.runtime.forgetNetwork();
        throw error;
      });
      if (fresh && (ip || !needsPodIPAtCreate(this.pod))) {
        // A new pod has nothing else to observe: its containers are created while the sandbox
        // starts (the network namespace, veth and address are the slow part) and started after.
        sandboxStarted = settled;
        settled.catch(() => undefined);
      } else {
        await settled;
        ({ sandboxes, byName } = await this.observe());
        sandbox = sandboxes.find(isRunning);
        if (!sandbox) throw new Error("the pod sandbox did not start");
      }
    }
    const podIPOf = async () => chosenIP ?? (this.pod.spec.hostNetwork ? this.ctx.hostIP() : await this.ctx.runtime.sandboxIp(sandboxId!));
    const podIP = sandboxStarted && !chosenIP ? "" : await podIPOf();
    this.startTime ??= timestamp();
    const extraBinds: string[] = [];
    if (this.ctx.network) {
      extraBinds.push(`${await writePodResolvConf(this.ctx.network, this.ctx.dataDir, this.pod)}:/etc/resolv.conf`);
      // Docker writes no hosts entry for a sandbox on its `none` network: kubelet's own file, then.
      if (podIP && !this.pod.spec.hostNetwork) extraBinds.push(`${await writePodHosts(this.ctx.dataDir, this.pod, podIP, this.ctx.network.config.clusterDomain)}:/etc/hosts`);
    }
    const inputs = { pod: this.pod, sandboxId: sandboxId!, podIP, volumePaths, extraBinds, sandboxStarted, ...objects };

    const plan = planContainers(this.pod, byName, { now: Date.now(), backoff: this.backoff, killedByLiveness: (id) => this.probes.killedByLiveness(id) });
    for (const name of plan.running) this.waiting.delete(name);
    let changed = false;
    for (const step of plan.steps) changed = (await this.apply(step, inputs)) || changed;
    if (sandboxStarted) {
      // Nothing was started (an image failed, say): the sandbox must still be up before the report.
      await sandboxStarted;
      changed = true;
    }
    if (changed) ({ sandboxes, byName } = await this.observe());
    const reportedIP = sandboxStarted ? await podIPOf() : podIP;
    for (const id of planPrune(byName)) await this.ctx.runtime.remove(id);
    this.probes.sync(byName, reportedIP);
    await this.report(sandboxes, byName, reportedIP);
  }

  /** One planned step: start a created container, wait out its back-off, or (re)create and start it. Returns whether anything started. */
  private async apply(step: ContainerStep, inputs: { pod: Pod; sandboxId: string; podIP: string; volumePaths: Map<string, string>; extraBinds: string[]; configMaps: Map<string, ConfigMap>; secrets: Map<string, Secret> }): Promise<boolean> {
    const { container, init } = step;
    const key = container.name;
    if (step.action === "start-created") {
      await this.ctx.runtime.start(step.id).catch(() => undefined);
      return true;
    }
    if (step.action === "back-off") {
      const message = `back-off ${Math.round(step.delayMs / 1000)}s restarting failed container=${container.name} pod=${this.pod.metadata.name}_${this.ref.namespace}(${this.uid})`;
      if (this.waiting.get(key)?.reason !== "CrashLoopBackOff") this.ctx.events.record(this.pod, "Warning", "BackOff", "Back-off restarting failed container", fieldPathOf(container, init));
      this.waiting.set(key, { reason: "CrashLoopBackOff", message });
      this.wakeIn(step.remainingMs);
      return false;
    }
    const now = Date.now();
    const { current, restartCount } = step;
    if (current) this.backoff.set(key, nextBackoff(this.backoff.get(key), finishedMs(current)));
    const pullKey = `pull:${container.image}`;
    const pullRemaining = backoffRemaining(this.backoff.get(pullKey), this.backoff.get(pullKey)?.lastUpdateMs ?? 0, now);
    if (pullRemaining > 0 && (this.waiting.get(key)?.reason === "ErrImagePull" || this.waiting.get(key)?.reason === "ImagePullBackOff")) {
      if (this.waiting.get(key)?.reason !== "ImagePullBackOff") this.ctx.events.record(this.pod, "Normal", "BackOff", `Back-off pulling image "${container.image}"`, fieldPathOf(container, init));
      this.waiting.set(key, { reason: "ImagePullBackOff", message: `Back-off pulling image "${container.image}"` });
      this.wakeIn(pullRemaining);
      if (current) this.backoff.delete(key);
      return false;
    }
    this.waiting.set(key, { reason: "ContainerCreating" });
    const result = await startContainer(this.ctx, { ...inputs, container, init, restartCount }, fieldPathOf(container, init));
    if (result.ok) {
      this.waiting.delete(key);
      if (pullPolicyOf(container) !== "Always") this.backoff.delete(pullKey);
      return true;
    }
    this.waiting.set(key, { reason: result.reason, message: result.message });
    if (result.pullFailed) {
      this.backoff.set(pullKey, nextBackoff(this.backoff.get(pullKey), Date.now()));
      this.wakeIn(this.backoff.get(pullKey)?.delayMs ?? RETRY_MS);
    } else this.wakeIn(RETRY_MS);
    return false;
  }

  private observed(container: Container, list: Seen[] | undefined, initPhase: boolean): ObservedContainer {
    const current = list?.[0];
    const previous = list?.[1];
    const waiting = this.waiting.get(container.name);
    const out: ObservedContainer = {
      name: container.name,
      image: container.image,
      imageID: "",
      restartCount: current?.managed.restartCount ?? 0,
      ready: false,
      started: false,
    };
    if (current) {
      out.containerID = `docker://${current.managed.id}`;
      out.imageID = current.info?.imageId ?? "";
      if (previous && isFinished(previous)) out.previous = terminatedOf(previous);
      if (isRunning(current)) {
        out.running = { startedAt: rfc3339(current.info?.startedAt) ?? timestamp(new Date(startedMs(current))) };
        out.started = this.probes.started(container.name, current.managed.id);
        out.ready = out.started && this.probes.ready(container.name, current.managed.id);
      } else if (isFinished(current)) {
        out.terminated = terminatedOf(current);
        if (waiting?.reason === "CrashLoopBackOff" || waiting?.reason === "ContainerCreating") out.waiting = waiting;
      } else out.waiting = { reason: "ContainerCreating" };
    } else {
      out.waiting = waiting && waiting.reason !== "ContainerCreating" ? waiting : { reason: initPhase ? "PodInitializing" : "ContainerCreating" };
    }
    return out;
  }

  private async report(sandboxes: Seen[], byName: Map<string, Seen[]>, podIP: string): Promise<void> {
    const inits = this.pod.spec.initContainers ?? [];
    const initPending = inits.some((c) => {
      const current = byName.get(c.name)?.[0];
      return !current || !isFinished(current) || terminatedOf(current).exitCode !== 0;
    });
    const status = computePodStatus({
      pod: this.pod,
      hostIP: this.ctx.hostIP(),
      podIP: sandboxes.length > 0 ? podIP : "",
      startTime: this.startTime ?? timestamp(),
      init: inits.map((c) => this.observed(c, byName.get(c.name), false)),
      containers: this.pod.spec.containers.map((c) => this.observed(c, byName.get(c.name), inits.length > 0 && initPending)),
      now: timestamp(),
    });
    await this.writeStatus(status);
  }

  private async writeStatus(status: PodStatus): Promise<void> {
    const json = stableJson(status);
    this.lastStatus ??= stableJson(this.pod.status ?? {});
    if (json === this.lastStatus) return;
    try {
      const updated = await this.ctx.api.patch<Pod>(`/api/v1/namespaces/${this.ref.namespace}/pods/${this.ref.name}/status`, { metadata: { uid: this.uid }, status });
      this.lastStatus = json;
      if (updated?.status) this.pod = { ...this.pod, status: updated.status };
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }

  /** Graceful teardown (kubelet's killPod), then the final DELETE when `deleteFromApi`. */
  private async terminate(deleteFromApi: boolean): Promise<void> {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.probes.retain(new Set());
    const { sandboxes, byName } = await this.observe();
    const grace = deleteFromApi ? this.graceSeconds() : 0;
    const running = [...byName.values()].flatMap((list) => list.filter(isRunning));
    await killContainers(this.ctx, this.pod, running, grace);
    for (const list of byName.values()) for (const seen of list) await this.ctx.runtime.remove(seen.managed.id);
    for (const s of sandboxes) {
      await this.ctx.runtime.stop(s.managed.id, 0);
      await this.ctx.runtime.remove(s.managed.id);
    }
    await cleanupPodVolumes(this.ctx.dataDir, this.uid).catch((error: unknown) => this.ctx.log(`pod ${this.ref.name}: volume cleanup: ${String(error)}`));
    if (deleteFromApi) {
      try {
        await this.ctx.api.delete(`/api/v1/namespaces/${this.ref.namespace}/pods/${this.ref.name}`, {
          kind: "DeleteOptions",
          apiVersion: "v1",
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        });
      } catch (error) {
        if (!isNotFound(error) && !(error instanceof Error && /409/.test(error.message))) throw error;
      }
    }
    this.finished = true;
    this.onFinished(this.uid);
  }

  stop(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.probes.retain(new Set());
    this.finished = true;
  }
}
