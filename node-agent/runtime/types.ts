// The container runtime as the kubelet sees it (kubelet's kubecontainer.Runtime, in small): pod
// sandboxes, containers, images, exec and lifecycle events, with no engine's types in it. Docker
// implements it (docker.ts), and so does a hollow runtime that runs nothing (hollow.ts).
import type { Duplex, Readable } from "node:stream";
import type { ManagedContainer, PodRef } from "./labels";

export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress: string;
}

export class ImagePullError extends Error {}
export class ImageNeverPullError extends Error {}

export interface SandboxOptions {
  pod: PodRef;
  hostname: string;
  hostNetwork: boolean;
  /** containerPort → hostPort, protocol tcp/udp. */
  hostPorts: { containerPort: number; hostPort: number; protocol: string }[];
  /**
   * The address the agent chose for the pod: the sandbox gets no network of the runtime's and the
   * agent plumbs its interface (network/pod-interfaces.ts). Absent: the runtime gives it one.
   */
  podIP?: string;
}

export interface ContainerOptions {
  pod: PodRef;
  name: string;
  init: boolean;
  restartCount: number;
  sandboxId: string;
  image: string;
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  workingDir?: string;
  binds: string[];
  memoryBytes?: number;
  nanoCpus?: number;
  tty: boolean;
  stdin: boolean;
  privileged: boolean;
  /** "uid" or "uid:gid"; absent: the image's user. */
  user?: string;
  /** Supplementary groups (fsGroup, supplementalGroups). */
  groupAdd?: string[];
  capAdd?: string[];
  capDrop?: string[];
  readOnlyRootfs?: boolean;
  /** no_new_privs (allowPrivilegeEscalation=false). */
  noNewPrivileges?: boolean;
  /** No seccomp filter (Unconfined); otherwise the runtime's default profile. */
  seccompUnconfined?: boolean;
  /** The node's process namespace (pod hostPID), not one of the container's own. */
  hostPID?: boolean;
  /** The node's IPC namespace (pod hostIPC), not the pod's. */
  hostIPC?: boolean;
}

/** One container's state as the runtime reports it (CRI's ContainerStatus). */
export interface ContainerState {
  /** created, running, restarting, exited or dead. */
  status: string;
  running: boolean;
  restarting: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** Why it could not be started (a created container that is over). */
  error?: string;
  /** RFC 3339 (any precision); absent when it never started or finished. */
  startedAt?: string;
  finishedAt?: string;
  imageId: string;
  /** Its main process while it runs (a sandbox's network namespace is that process's), else 0. */
  pid: number;
  /** The address the agent gave a sandbox (SandboxOptions.podIP). */
  podIP?: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface LogRequest {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** Only lines written at or after this time (Unix seconds, fractions allowed). */
  sinceUnixSeconds?: number;
}

/** One piece of a process's output: 1 stdout, 2 stderr (the numbers of Kubernetes' channels). */
export interface OutputChunk {
  stream: 1 | 2;
  bytes: Buffer;
}

export interface IoRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * A process attached to: an exec'd command or a container's main process. `output` is an
 * object-mode Readable of OutputChunk that ends when the process's output closes; pausing it
 * pauses the runtime (backpressure reaches the process).
 */
export interface IoSession {
  readonly tty: boolean;
  readonly output: Readable;
  write(bytes: Uint8Array): void;
  /** The client closed its stdin: the process reads EOF. */
  endInput(): void;
  resize(width: number, height: number): Promise<void>;
  /** An exec's exit code once its output has ended; undefined for an attach or when unknown. */
  exitCode(): Promise<number | undefined>;
  /** Detaches (an exec's process may go on, as with Docker and CRI). */
  close(): void;
}

export interface PodRuntime {
  /**
   * Whether the agent may give out pod addresses itself: the runtime's own addressing keeps to
   * the upper half of the node's block. Known once ensureNetwork has run.
   */
  readonly agentAddressing: boolean;
  /** The runtime's version, or throws when it does not answer (the node is then NotReady). */
  version(): Promise<string>;
  /** The node's pod network on the runtime's side (a bridge), made once. */
  ensureNetwork(podCIDR?: string): Promise<void>;
  /** That network was lost: the next ensureNetwork makes it again. */
  forgetNetwork(): void;
  /** This node's containers and sandboxes (all states), optionally of one pod. */
  list(podUid?: string): Promise<ManagedContainer[]>;
  /** undefined when it is gone. */
  inspect(id: string): Promise<ContainerState | undefined>;
  /** The user the image runs as (its config's User: "", "name", "uid" or "uid:gid"), undefined when absent. */
  imageUser(image: string): Promise<string | undefined>;
  /** The image's id as the pod status reports it (imageID), or undefined when it is not present. */
  imageId(image: string): Promise<string | undefined>;
  /** Pulls per imagePullPolicy; throws ImagePullError / ImageNeverPullError. Returns whether it pulled. */
  ensureImage(image: string, policy: string, auths: RegistryAuth[], knownPresent?: boolean): Promise<boolean>;
  /** Creates the pod's sandbox, not started (the caller starts it); returns its id. */
  createSandbox(options: SandboxOptions): Promise<string>;
  /** The sandbox's address on the node network ("" for host-network pods). */
  sandboxIp(id: string): Promise<string>;
  /** The sandbox's main process, whose network namespace the pod's interface goes into. */
  sandboxPid(id: string): Promise<number>;
  /** Addresses the agent gave to this node's running sandboxes. */
  podIPsInUse(): Promise<string[]>;
  createContainer(options: ContainerOptions): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; a stopped or missing container is fine. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Idempotent: a missing container is already removed. */
  remove(id: string): Promise<void>;
  /** Runs `command` in the container (exec probes, preStop hooks). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /**
   * The container's log as bytes (stdout and stderr merged, as `kubectl logs` shows them), ending
   * with the log unless followed; a followed log ends when the container stops.
   */
  containerLog(id: string, request: LogRequest): Promise<Readable>;
  /** Runs `command` in the running container with its standard streams attached (`kubectl exec`). */
  execStream(id: string, command: string[], io: IoRequest & { tty: boolean }): Promise<IoSession>;
  /** Attaches to the running container's main process (`kubectl attach`); its TTY is the container's. */
  attach(id: string, io: IoRequest): Promise<IoSession>;
  /** A TCP connection to `port` in the pod's network (`kubectl port-forward`), given its sandbox. */
  connectPort(sandboxId: string, port: number): Promise<Duplex>;
  /** Calls `onPod` with the pod uid when one of this node's containers starts, dies or goes; returns a stop function. */
  watchEvents(onPod: (podUid: string) => void, onError: (error: unknown) => void): () => void;
}
