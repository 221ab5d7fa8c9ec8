// The Docker Engine as the agent's PodRuntime: the node's bridge network, sandboxes (pause
// containers holding the pod's network namespace), app containers, image pulls and `docker exec`.
// Every container carries the node label, and every lookup filters by it.
import { connect } from "node:net";
import type { Duplex, Readable } from "node:stream";
import type Dockerode from "dockerode";
import { LABEL_POD_IP, splitBlock } from "../network/pod-interfaces";
import { ensurePauseImage } from "./pause-image";
import { containerLabels, containerName, LABEL_CONTAINER_NAME, LABEL_DOCKER_TYPE, LABEL_INIT, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RESTART_COUNT, SANDBOX_CONTAINER_NAME, type ManagedContainer } from "./labels";
import { dockerAttach, dockerExec, dockerLog } from "./docker-streams";
import { ImageNeverPullError, ImagePullError, type ContainerOptions, type ContainerState, type ExecResult, type IoRequest, type IoSession, type LogRequest, type PodRuntime, type RegistryAuth, type SandboxOptions } from "./types";

/** kubelet's defaults for a container's log files. */
export const CONTAINER_LOG_MAX_SIZE = "10m";
export const CONTAINER_LOG_MAX_FILES = 5;

export const EVENTS_RECONNECT_MS = 2_000;
/** A port-forward connection the pod does not answer (no SYN-ACK, no reset) fails after this. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The registry host an image reference pulls from, as Docker resolves it. */
export function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return first;
  return "docker.io";
}

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * The credentials for pulling `image`: those whose server is the image's registry host, exactly
 * (Docker's ConvertToHostname, case-insensitive; Docker Hub under any of its names). Never a
 * substring match: credentials for notevil.example must not go to evil.example.
 */
export function credentialFor(auths: readonly RegistryAuth[], image: string): RegistryAuth | undefined {
  const canonical = (host: string) => (DOCKER_HUB_ALIASES.has(host.toLowerCase()) ? "docker.io" : host.toLowerCase());
  const registry = canonical(registryOf(image));
  return auths.find((a) => canonical(a.serveraddress.replace(/^https?:\/\//, "").replace(/\/.*$/, "")) === registry);
}

/** Docker's `image` → `image:latest` when it names no tag or digest. */
export function withDefaultTag(image: string): string {
  const last = image.split("/").pop() ?? image;
  return last.includes(":") || last.includes("@") ? image : `${image}:latest`;
}

/** A container of `docker ps`, by its labels; undefined for one the agent did not make. */
export function fromContainerInfo(info: Dockerode.ContainerInfo): ManagedContainer | undefined {
  const labels = info.Labels ?? {};
  const uid = labels[LABEL_POD_UID];
  const name = labels[LABEL_CONTAINER_NAME];
  if (!uid || !name) return undefined;
  const restartCount = Number(labels[LABEL_RESTART_COUNT] ?? "0");
  return {
    id: info.Id,
    type: labels[LABEL_DOCKER_TYPE] === "podsandbox" ? "podsandbox" : "container",
    pod: { uid, name: labels[LABEL_POD_NAME] ?? "", namespace: labels[LABEL_POD_NAMESPACE] ?? "" },
    containerName: name,
    restartCount: Number.isFinite(restartCount) ? restartCount : 0,
    state: info.State,
    image: info.Image,
    createdMs: info.Created * 1000,
  };
}

export class DockerRuntime implements PodRuntime {
  readonly network: string;
  private networkReady: Promise<void> | undefined;
  private networkExists = false;
  private pauseImage: string | undefined;
  /**
   * Docker's IPAM keeps to the upper half of the node's block, so the agent may give out the
   * lower half itself. False for a bridge made by an older agent that pods still sit on.
   */
  agentAddressing = false;
  constructor(
    readonly docker: Dockerode,
    readonly node: string,
    /** With the agent's pod network: the bridge's Linux name; the agent, not Docker, masquerades. */
    private readonly bridge?: string,
  ) {
    this.network = `edgeplane-${node}`;
  }

  /** The engine's version, or throws when it does not answer. */
  async version(): Promise<string> {
    const v = await this.docker.version();
    return v.Version;
  }

  /**
   * Creates the node's bridge network once. Docker's duplicate check is not atomic (two
   * concurrent creates make two networks of one name), so concurrent callers share one attempt.
   */
  ensureNetwork(podCIDR?: string): Promise<void> {
    // Known to exist: no Docker round trips on each pod start (a removed network makes the
    // sandbox create fail, and that failure forgets it).
    if (this.networkExists) return Promise.resolve();
    this.networkReady ??= this.createNetwork(podCIDR)
      .then(() => {
        this.networkExists = true;
      })
      .finally(() => {
        this.networkReady = undefined;
      });
    return this.networkReady;
  }

  private async createNetwork(podCIDR?: string): Promise<void> {
    await this.removeDuplicateNetworks();
    try {
      const existing = (await this.docker.getNetwork(this.network).inspect()) as { IPAM?: { Config?: { Subnet?: string; IPRange?: string }[] } };
      const subnet = existing.IPAM?.Config?.[0]?.Subnet;
      if (this.bridge && podCIDR && subnet === podCIDR && existing.IPAM?.Config?.[0]?.IPRange !== splitBlock(podCIDR).dockerRange) {
        // From an agent that let Docker use the whole block: narrow it once no pod sits on it.
        const removed = await this.docker.getNetwork(this.network).remove().then(() => true, () => false);
        if (removed) return await this.createNetwork(podCIDR);
        return;
      }
      this.agentAddressing = !!this.bridge && !!podCIDR && subnet === podCIDR;
      if (this.bridge && podCIDR && subnet !== podCIDR) {
        // Left by a run without the pod network: replace it unless pods still sit on it.
        const removed = await this.docker.getNetwork(this.network).remove().then(() => true, () => false);
        if (removed) return await this.createNetwork(podCIDR);
        throw new Error(`the Docker network ${this.network} has subnet ${subnet ?? "(none)"}, not this node's podCIDR ${podCIDR}: remove it (docker network rm ${this.network}) once its pods are gone`);
      }
      return;
    } catch (error) {
      if (!/404|no such network|not found/i.test(String(error))) throw error;
      // create it below
    }
    if (this.bridge) {
      if (!podCIDR) throw new Error("the pod network needs this node's podCIDR");
      await this.docker.createNetwork({
        Name: this.network,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: { [LABEL_NODE]: this.node },
        // Docker hands out only the upper half: the lower half is the agent's (pod-interfaces.ts).
        IPAM: { Driver: "default", Config: [{ Subnet: podCIDR, IPRange: splitBlock(podCIDR).dockerRange, Gateway: splitBlock(podCIDR).gateway }] },
        Options: { "com.docker.network.bridge.name": this.bridge, "com.docker.network.bridge.enable_ip_masquerade": "false" },
      });
      this.agentAddressing = true;
      return;
    }
    const base = { Name: this.network, Driver: "bridge", CheckDuplicate: true, Labels: { [LABEL_NODE]: this.node } };
    try {
      await this.docker.createNetwork(podCIDR ? { ...base, IPAM: { Driver: "default", Config: [{ Subnet: podCIDR }] } } : base);
    } catch (error) {
      // A podCIDR that overlaps another bridge on this engine (tests share one): let Docker pick.
      if (!podCIDR || /already exists/.test(String(error))) return;
      await this.docker.createNetwork(base);
    }
  }

  /** Networks of this node's name beyond the oldest one (left by an older agent's race) go. */
  private async removeDuplicateNetworks(): Promise<void> {
    const same = (await this.docker.listNetworks({ filters: JSON.stringify({ name: [this.network] }) })).filter((n) => n.Name === this.network);
    if (same.length < 2) return;
    same.sort((a, b) => String(a.Created).localeCompare(String(b.Created)));
    for (const extra of same.slice(1)) await this.docker.getNetwork(extra.Id).remove().catch(() => undefined);
  }

  async ensurePauseImage(): Promise<string> {
    this.pauseImage ??= await ensurePauseImage(this.docker);
    return this.pauseImage;
  }

  async list(podUid?: string): Promise<ManagedContainer[]> {
    const label = [`${LABEL_NODE}=${this.node}`];
    if (podUid) label.push(`${LABEL_POD_UID}=${podUid}`);
    const infos = await this.docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
    return infos.map(fromContainerInfo).filter((c): c is ManagedContainer => c !== undefined);
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const info = await this.inspectRaw(id);
    if (!info) return undefined;
    const state = info.State;
    const zero = (t: string | undefined) => (!t || t.startsWith("0001-01-01") ? undefined : t);
    return {
      status: state.Status,
      running: state.Running,
      restarting: state.Restarting,
      exitCode: state.ExitCode,
      oomKilled: state.OOMKilled,
      error: state.Error || undefined,
      startedAt: zero(state.StartedAt),
      finishedAt: zero(state.FinishedAt),
      imageId: info.Image,
      pid: state.Pid,
      podIP: info.Config.Labels?.[LABEL_POD_IP],
    };
  }

  private async inspectRaw(id: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch {
      return undefined;
    }
  }

  async imageUser(image: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Config?.User ?? "";
    } catch {
      return undefined;
    }
  }

  async imageId(image: string): Promise<string | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return info.RepoDigests?.[0] ? `docker-pullable://${info.RepoDigests[0]}` : info.Id;
    } catch {
      return undefined;
    }
  }

  async ensureImage(image: string, policy: string, auths: RegistryAuth[], knownPresent?: boolean): Promise<boolean> {
    const present = knownPresent ?? (await this.imageId(image)) !== undefined;
    if (policy === "Never") {
      if (present) return false;
      throw new ImageNeverPullError(`Container image "${image}" is not present with pull policy of Never`);
    }
    if (present && policy !== "Always") return false;
    const auth = credentialFor(auths, image);
    try {
      const stream = await this.docker.pull(withDefaultTag(image), auth ? { authconfig: auth } : {});
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
          const failed = (output ?? []).find((o): o is { error: string } => typeof o === "object" && o !== null && "error" in o);
          if (error || failed) reject(error ?? new Error(failed?.error));
          else resolve();
        }),
      );
      return true;
    } catch (error) {
      // With Always and the image present, kubelet still fails the pull; so do we.
      throw new ImagePullError(`Failed to pull image "${image}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async createSandbox(options: SandboxOptions): Promise<string> {
    const image = await this.ensurePauseImage();
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostPort: string }[]> = {};
    for (const p of options.hostPorts) {
      const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
      exposed[key] = {};
      bindings[key] = [{ HostPort: String(p.hostPort) }];
    }
    const container = await this.createSandboxContainer(image, options, exposed, bindings);
    // Started by the caller, so the app containers can be created while it starts.
    return container.id;
  }

  private async createSandboxContainer(
    image: string,
    options: SandboxOptions,
    exposed: Record<string, object>,
    bindings: Record<string, { HostPort: string }[]>,
  ): Promise<Dockerode.Container> {
    try {
      return await this.createSandboxWith(image, options, exposed, bindings);
    } catch (error) {
      // The network or the pause image went away since they were checked: check again next time.
      this.networkExists = false;
      this.pauseImage = undefined;
      throw error;
    }
  }

  private createSandboxWith(
    image: string,
    options: SandboxOptions,
    exposed: Record<string, object>,
    bindings: Record<string, { HostPort: string }[]>,
  ): Promise<Dockerode.Container> {
    const labels = containerLabels(this.node, options.pod, SANDBOX_CONTAINER_NAME, "podsandbox", 0);
    if (options.podIP) labels[LABEL_POD_IP] = options.podIP;
    const networkMode = options.hostNetwork ? "host" : options.podIP ? "none" : this.network;
    return this.docker.createContainer({
      name: containerName(options.pod, SANDBOX_CONTAINER_NAME, 0),
      Image: image,
      Hostname: options.hostNetwork ? undefined : options.hostname.slice(0, 63),
      Labels: labels,
      ExposedPorts: exposed,
      HostConfig: { NetworkMode: networkMode, IpcMode: "shareable", PortBindings: bindings, RestartPolicy: { Name: "no" } },
    });
  }

  async sandboxIp(id: string): Promise<string> {
    const info = await this.inspectRaw(id);
    const chosen = info?.Config.Labels?.[LABEL_POD_IP];
    if (chosen) return chosen;
    const networks = info?.NetworkSettings.Networks ?? {};
    // Its address on the node network; else (a sandbox another tool made) on whichever it has.
    return networks[this.network]?.IPAddress || Object.values(networks).find((n) => n.IPAddress)?.IPAddress || "";
  }

  /**
   * The bridge is gone (`docker network prune` sees no endpoint on it: the agent wires pods
   * itself): make the next ensureNetwork create it again.
   */
  forgetNetwork(): void {
    this.networkExists = false;
  }

  async sandboxPid(id: string): Promise<number> {
    const pid = (await this.inspect(id))?.pid ?? 0;
    if (!pid) throw new Error(`the pod sandbox ${id.slice(0, 12)} is not running`);
    return pid;
  }

  /** Addresses the agent gave to this node's running sandboxes (a stopped one is never started again). */
  async podIPsInUse(): Promise<string[]> {
    const infos = await this.docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL_NODE}=${this.node}`, LABEL_POD_IP] }) });
    return infos.map((i) => i.Labels?.[LABEL_POD_IP]).filter((ip): ip is string => !!ip);
  }

  async createContainer(o: ContainerOptions): Promise<string> {
    const labels = containerLabels(this.node, o.pod, o.name, "container", o.restartCount);
    if (o.init) labels[LABEL_INIT] = "true";
    const container = await this.docker.createContainer({
      name: containerName(o.pod, o.name, o.restartCount),
      Image: o.image,
      Entrypoint: o.entrypoint,
      Cmd: o.cmd,
      Env: o.env,
      WorkingDir: o.workingDir,
      Labels: labels,
      Tty: o.tty,
      OpenStdin: o.stdin,
      User: o.user,
      HostConfig: {
        NetworkMode: `container:${o.sandboxId}`,
        IpcMode: o.hostIPC ? "host" : `container:${o.sandboxId}`,
        PidMode: o.hostPID ? "host" : undefined,
        Binds: o.binds,
        Memory: o.memoryBytes,
        NanoCpus: o.nanoCpus,
        Privileged: o.privileged,
        GroupAdd: o.groupAdd?.length ? o.groupAdd : undefined,
        CapAdd: o.capAdd?.length ? o.capAdd : undefined,
        CapDrop: o.capDrop?.length ? o.capDrop : undefined,
        ReadonlyRootfs: o.readOnlyRootfs || undefined,
        SecurityOpt: [...(o.noNewPrivileges ? ["no-new-privileges"] : []), ...(o.seccompUnconfined ? ["seccomp=unconfined"] : [])],
        // kubelet's containerLogMaxSize and containerLogMaxFiles: a chatty container's log is
        // rotated, never the node's whole disk; `kubectl logs -f` follows across rotations.
        LogConfig: { Type: "json-file", Config: { "max-size": CONTAINER_LOG_MAX_SIZE, "max-file": String(CONTAINER_LOG_MAX_FILES) } },
        RestartPolicy: { Name: "no" },
      },
    });
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (error) {
      if (!/304|not running|No such container|404/.test(String(error))) throw error;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (error) {
      if (!/No such container|404|is already in progress/.test(String(error))) throw error;
    }
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    const out = { write: (c: Buffer) => chunks.push(Buffer.from(c)) } as unknown as NodeJS.WritableStream;
    this.docker.modem.demuxStream(stream, out, out);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error(`command timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on("end", () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString("utf8") };
  }

  containerLog(id: string, request: LogRequest): Promise<Readable> {
    return dockerLog(this.docker, id, request);
  }

  execStream(id: string, command: string[], io: IoRequest & { tty: boolean }): Promise<IoSession> {
    return dockerExec(this.docker.getContainer(id), command, io);
  }

  attach(id: string, io: IoRequest): Promise<IoSession> {
    return dockerAttach(this.docker.getContainer(id), io);
  }

  /** The pod's address on the node network; a host-network pod's ports are the machine's own. */
  async connectPort(sandboxId: string, port: number): Promise<Duplex> {
    const info = await this.inspectRaw(sandboxId);
    if (!info?.State.Running) throw new Error("the pod's sandbox is not running");
    const host = info.HostConfig.NetworkMode === "host" ? "127.0.0.1" : await this.sandboxIp(sandboxId);
    if (!host) throw new Error("the pod has no IP address on this node");
    return await new Promise<Duplex>((resolve, reject) => {
      const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
      const failed = (error: Error) => reject(new Error(`failed to connect to ${host}:${port}: ${error.message}`));
      socket.once("error", failed);
      socket.once("timeout", () => socket.destroy(new Error("timed out")));
      socket.once("connect", () => {
        socket.off("error", failed);
        socket.setTimeout(0);
        resolve(socket);
      });
    });
  }

  /** Container die/start/destroy events of this node's containers, as pod uids; reconnects. */
  watchEvents(onPod: (podUid: string) => void, onError: (error: unknown) => void): () => void {
    let stopped = false;
    let current: NodeJS.ReadableStream | undefined;
    const connect = async () => {
      while (!stopped) {
        try {
          const stream = await this.docker.getEvents({
            filters: JSON.stringify({ type: ["container"], label: [`${LABEL_NODE}=${this.node}`], event: ["die", "start", "destroy", "oom"] }),
          });
          current = stream;
          let buffered = "";
          await new Promise<void>((resolve) => {
            stream.on("data", (chunk: Buffer) => {
              buffered += chunk.toString("utf8");
              let newline: number;
              while ((newline = buffered.indexOf("\n")) >= 0) {
                const line = buffered.slice(0, newline).trim();
                buffered = buffered.slice(newline + 1);
                if (!line) continue;
                try {
                  const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
                  const uid = event.Actor?.Attributes?.[LABEL_POD_UID];
                  if (uid) onPod(uid);
                } catch {
                  // a partial line; the next chunk completes it
                }
              }
            });
            stream.on("end", resolve);
            stream.on("close", resolve);
            stream.on("error", resolve);
          });
        } catch (error) {
          if (!stopped) onError(error);
        }
        if (!stopped) await new Promise((r) => setTimeout(r, EVENTS_RECONNECT_MS));
      }
    };
    void connect();
    return () => {
      stopped = true;
      const s = current as unknown as { destroy?: () => void } | undefined;
      s?.destroy?.();
    };
  }
}
