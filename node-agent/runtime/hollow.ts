// A runtime that runs nothing (KWOK's idea, under the real agent): sandboxes and containers are
// records that go through created → running → exited as the kubelet drives them. Init containers
// complete at once and app containers run until stopped, so the agent reports pods Running and
// Ready and its API traffic is the real one. For scale tests and benchmarks, never for users.
import { Readable, type Duplex } from "node:stream";
import { SANDBOX_CONTAINER_NAME, type ManagedContainer, type PodRef } from "./labels";
import type { ContainerOptions, ContainerState, ExecResult, IoRequest, IoSession, LogRequest, PodRuntime, SandboxOptions } from "./types";

interface HollowContainer {
  managed: ManagedContainer;
  state: ContainerState;
  init: boolean;
  /** The sandbox's address: SandboxOptions.podIP, or one from the node's block. */
  ip?: string;
  /** Followed logs and attachments: they end when the container stops. */
  readers: Set<Readable>;
}

/** A stream with nothing in it, ended now or left open for `open` to hold. */
function silent(objectMode: boolean, ended: boolean): Readable {
  const stream = new Readable({ objectMode, read() {} });
  if (ended) stream.push(null);
  return stream;
}

/** SIGTERM's exit status (128 + 15): what a process that honours it ends with. */
const TERMINATED_EXIT_CODE = 143;

export class HollowRuntime implements PodRuntime {
  readonly agentAddressing = false;
  private readonly containers = new Map<string, HollowContainer>();
  private readonly listeners = new Set<(podUid: string) => void>();
  private sequence = 0;
  private nextPid = 1000;
  private hosts = 0;
  private podCIDR: string | undefined;

  constructor(
    readonly node: string,
    /** How long a container takes to start: a pod is not Ready at once, as on a real machine. */
    private readonly startDelayMs = 0,
  ) {}

  async version(): Promise<string> {
    return "hollow-1";
  }

  async ensureNetwork(podCIDR?: string): Promise<void> {
    if (podCIDR) this.podCIDR = podCIDR;
  }

  forgetNetwork(): void {}

  async list(podUid?: string): Promise<ManagedContainer[]> {
    return [...this.containers.values()].filter((c) => !podUid || c.managed.pod.uid === podUid).map((c) => ({ ...c.managed, state: c.state.status }));
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const c = this.containers.get(id);
    return c && { ...c.state };
  }

  /** Hollow images name no user: they run as root, as most images do. */
  async imageUser(): Promise<string | undefined> {
    return "";
  }

  async imageId(image: string): Promise<string | undefined> {
    return `hollow://${image}`;
  }

  /** Every image is present: nothing is pulled, whatever the policy. */
  async ensureImage(): Promise<boolean> {
    return false;
  }

  async createSandbox(options: SandboxOptions): Promise<string> {
    const id = this.add(options.pod, SANDBOX_CONTAINER_NAME, "podsandbox", 0, "hollow/pause", false);
    const c = this.containers.get(id)!;
    if (options.hostNetwork) c.ip = "";
    if (options.podIP) c.ip = c.state.podIP = options.podIP;
    return id;
  }

  async sandboxIp(id: string): Promise<string> {
    return this.containers.get(id)?.ip ?? "";
  }

  async sandboxPid(id: string): Promise<number> {
    const pid = this.containers.get(id)?.state.pid ?? 0;
    if (!pid) throw new Error(`the pod sandbox ${id} is not running`);
    return pid;
  }

  async podIPsInUse(): Promise<string[]> {
    return [...this.containers.values()].flatMap((c) => (c.state.running && c.state.podIP ? [c.state.podIP] : []));
  }

  async createContainer(o: ContainerOptions): Promise<string> {
    if (!this.containers.get(o.sandboxId)) throw new Error(`no such sandbox: ${o.sandboxId}`);
    return this.add(o.pod, o.name, "container", o.restartCount, o.image, o.init);
  }

  async start(id: string): Promise<void> {
    const c = this.must(id);
    if (c.state.running) return;
    if (this.startDelayMs > 0 && c.managed.type === "container") await new Promise((r) => setTimeout(r, this.startDelayMs));
    // A sandbox gets its address when it starts (Docker's IPAM does the same), from the node's block if known by then.
    if (c.managed.type === "podsandbox") c.ip ??= this.address();
    const now = new Date().toISOString();
    if (c.init) {
      // An init container's work is done the moment it starts.
      c.state = { ...c.state, status: "exited", running: false, exitCode: 0, startedAt: now, finishedAt: now, pid: 0 };
    } else {
      c.state = { ...c.state, status: "running", running: true, exitCode: 0, startedAt: now, finishedAt: undefined, pid: this.nextPid++ };
    }
    this.emit(c);
  }

  async stop(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c?.state.running) return;
    c.state = { ...c.state, status: "exited", running: false, exitCode: TERMINATED_EXIT_CODE, finishedAt: new Date().toISOString(), pid: 0 };
    this.endReaders(c);
    this.emit(c);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    this.endReaders(c);
    this.emit(c);
  }

  /** Hollow containers write nothing: a log is empty, and a followed one ends when the container stops. */
  async containerLog(id: string, request: LogRequest): Promise<Readable> {
    const c = this.must(id);
    return request.follow && c.state.running ? this.held(c, silent(false, false)) : silent(false, true);
  }

  /** As exec: the command "succeeds" at once with no output. */
  async execStream(id: string, _command: string[], io: IoRequest & { tty: boolean }): Promise<IoSession> {
    this.running(id);
    return this.session(io.tty, silent(true, true), 0);
  }

  /** The main process prints nothing and reads nothing; the attachment ends when the container stops. */
  async attach(id: string): Promise<IoSession> {
    const c = this.running(id);
    return this.session(false, this.held(c, silent(true, false)), undefined);
  }

  async connectPort(): Promise<Duplex> {
    throw new Error("a hollow pod has no network to connect to");
  }

  /** Commands "succeed" with no output: probes pass, preStop hooks return at once. */
  async exec(id: string): Promise<ExecResult> {
    this.running(id);
    return { exitCode: 0, output: "" };
  }

  watchEvents(onPod: (podUid: string) => void): () => void {
    this.listeners.add(onPod);
    return () => this.listeners.delete(onPod);
  }

  private add(pod: PodRef, name: string, type: ManagedContainer["type"], restartCount: number, image: string, init: boolean): string {
    const id = `hollow-${this.node}-${(++this.sequence).toString(16).padStart(8, "0")}`;
    this.containers.set(id, {
      managed: { id, type, pod, containerName: name, restartCount, state: "created", image, createdMs: Date.now() },
      state: { status: "created", running: false, restarting: false, exitCode: 0, oomKilled: false, imageId: `hollow://${image}`, pid: 0 },
      init,
      readers: new Set(),
    });
    return id;
  }

  private running(id: string): HollowContainer {
    const c = this.containers.get(id);
    if (!c?.state.running) throw new Error(`container ${id} is not running`);
    return c;
  }

  private held(c: HollowContainer, stream: Readable): Readable {
    c.readers.add(stream);
    stream.once("close", () => c.readers.delete(stream));
    return stream;
  }

  private endReaders(c: HollowContainer): void {
    for (const reader of c.readers) reader.push(null);
    c.readers.clear();
  }

  private session(tty: boolean, output: Readable, exitCode: number | undefined): IoSession {
    return {
      tty,
      output,
      write: () => undefined,
      endInput: () => undefined,
      resize: async () => undefined,
      exitCode: async () => exitCode,
      close: () => void output.destroy(),
    };
  }

  private must(id: string): HollowContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`No such container: ${id}`);
    return c;
  }

  private emit(c: HollowContainer): void {
    // After the caller's await, as the engine's event stream would deliver it.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(c.managed.pod.uid);
    });
  }

  /** The next free address of the node's block (its .1 is the gateway), else of a documentation range. */
  private address(): string {
    const base = this.podCIDR?.split("/")[0]?.split(".").slice(0, 3).join(".") ?? "198.51.100";
    const used = new Set([...this.containers.values()].map((c) => c.ip));
    for (let n = 0; n < 253; n++) {
      const ip = `${base}.${2 + ((this.hosts + n) % 253)}`;
      if (!used.has(ip)) {
        this.hosts += n + 1;
        return ip;
      }
    }
    throw new Error(`no free pod address in ${base}.0/24`);
  }
}
