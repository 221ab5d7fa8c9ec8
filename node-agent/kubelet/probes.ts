// Liveness, readiness and startup probes (kubelet's prober): httpGet to the pod IP, tcpSocket,
// exec through `docker exec`; a worker per probe applies initialDelay, period, timeout and the
// success/failure thresholds, and reports only when the probe's verdict flips.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { IoSession, OutputChunk, PodRuntime } from "../runtime/types";
import type { Container, Probe } from "./types";

/** kubelet keeps this much of an exec probe's output (pkg/probe/exec maxReadLength, 10 KiB). */
export const MAX_EXEC_PROBE_OUTPUT_BYTES = 10 * 1024;
/** kubelet reads this much of an HTTP probe's body (pkg/probe/http maxRespBodyLength, 10 KiB). */
export const MAX_HTTP_PROBE_BODY_BYTES = 10 * 1024;

export type ProbeKind = "liveness" | "readiness" | "startup";

export interface ProbeTarget {
  runtime: PodRuntime;
  containerId: string;
  podIP: string;
  container: Container;
}

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

export function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function httpProbe(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const action = probe.httpGet!;
  const port = resolvePort(action.port, target.container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `port ${action.port} not found` });
  const https = (action.scheme ?? "HTTP").toUpperCase() === "HTTPS";
  const host = action.host || target.podIP;
  const headers: Record<string, string> = { "user-agent": "kube-probe/1.32", accept: "*/*" };
  for (const h of action.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      { host, port, path: action.path ?? "/", method: "GET", headers, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        // The verdict is the status code; the body is read to kubelet's cap, then the
        // connection is dropped, so an endless body cannot hold it open.
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_HTTP_PROBE_BODY_BYTES) req.destroy();
        });
        res.on("error", () => undefined);
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, message: "" } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.on("timeout", () => {
      req.destroy();
      resolve({ ok: false, message: `Get "http://${host}:${port}${action.path ?? "/"}": context deadline exceeded` });
    });
    req.on("error", (error) => resolve({ ok: false, message: `Get "http://${host}:${port}${action.path ?? "/"}": ${error.message}` }));
    req.end();
  });
}

function tcpProbe(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(probe.tcpSocket!.port, target.container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `port ${probe.tcpSocket!.port} not found` });
  const host = probe.tcpSocket!.host || target.podIP;
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.on("connect", () => {
      socket.destroy();
      resolve({ ok: true, message: "" });
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.on("error", (error) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

/**
 * Reads the process's stdout and stderr to the end, keeping the first `cap` bytes and dropping
 * the rest (kubelet's LimitWriter): the process is never blocked on a full pipe. Resolves false
 * when `timeoutMs` passes first, after detaching.
 */
function drainOutput(session: IoSession, kept: Buffer[], cap: number, timeoutMs: number): Promise<boolean> {
  let size = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.close();
      resolve(false);
    }, timeoutMs);
    session.output.on("data", (chunk: OutputChunk) => {
      if (size >= cap) return;
      const piece = chunk.bytes.subarray(0, cap - size);
      kept.push(Buffer.from(piece));
      size += piece.length;
    });
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    session.output.once("end", done);
    session.output.once("close", done);
    session.output.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function execProbe(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  // The streaming exec, not runtime.exec: that one holds all of the output in memory.
  const command = probe.exec?.command ?? [];
  let session: IoSession | undefined;
  try {
    session = await target.runtime.execStream(target.containerId, command, { stdin: false, stdout: true, stderr: true, tty: false });
    const kept: Buffer[] = [];
    if (!(await drainOutput(session, kept, MAX_EXEC_PROBE_OUTPUT_BYTES, timeoutMs))) {
      return { ok: false, message: `command timed out after ${timeoutMs} ms` };
    }
    const output = Buffer.concat(kept).toString("utf8");
    const exitCode = await session.exitCode();
    if (exitCode === 0) return { ok: true, message: "" };
    return { ok: false, message: output.trim() || (exitCode === undefined ? "command exit code unknown" : `command exited with ${exitCode}`) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    session?.close();
  }
}

export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  // A probe the pod author got wrong (a path with a space, a bad header, port 70000) makes
  // node's http/net throw synchronously: that is a failed probe, never an agent crash.
  try {
    if (probe.httpGet) return await httpProbe(probe, target, timeoutMs);
    if (probe.tcpSocket) return await tcpProbe(probe, target, timeoutMs);
    if (probe.exec) return await execProbe(probe, target, timeoutMs);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, message: "" };
}

/** Applies thresholds to a run of outcomes; returns the new verdict. Pure, for tests. */
export function applyThreshold(
  state: { verdict: boolean; streak: number; lastOk: boolean | undefined },
  ok: boolean,
  probe: Probe,
): { verdict: boolean; streak: number; lastOk: boolean } {
  const streak = state.lastOk === ok ? state.streak + 1 : 1;
  const needed = ok ? (probe.successThreshold ?? 1) : (probe.failureThreshold ?? 3);
  const verdict = streak >= needed ? ok : state.verdict;
  return { verdict, streak, lastOk: ok };
}

export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private state: { verdict: boolean; streak: number; lastOk: boolean | undefined };

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    startedAtMs: number,
    /** Called after every probe run: the verdict, whether it flipped, the failure message, consecutive failures. */
    private readonly onResult: (verdict: boolean, changed: boolean, failure: string | undefined, failures: number) => void,
  ) {
    this.state = { verdict: kind === "liveness", streak: 0, lastOk: undefined };
    const initialDelayMs = Math.max(0, startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
    this.timer = setTimeout(() => void this.tick(), initialDelayMs);
  }

  get verdict(): boolean {
    return this.state.verdict;
  }

  /** Liveness: restart the streak after the container was killed, so it cannot fire twice. */
  reset(): void {
    this.state = { verdict: this.kind === "liveness", streak: 0, lastOk: undefined };
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const outcome = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    const before = this.state.verdict;
    this.state = applyThreshold(this.state, outcome.ok, this.probe);
    this.onResult(this.state.verdict, before !== this.state.verdict, outcome.ok ? undefined : outcome.message, outcome.ok ? 0 : this.state.streak);
    // A startup probe stops once it succeeded (kubelet does the same).
    if (this.kind === "startup" && this.state.verdict) return;
    this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? 10) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
