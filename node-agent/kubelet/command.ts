// Pod spec → Docker container config, the pure parts: command/args (command replaces the image's
// ENTRYPOINT, args its CMD, as dockershim maps them), $(VAR) expansion, and resource limits.
import { expand } from "./env";
import type { Container } from "./types";

export interface DockerCommand {
  entrypoint?: string[];
  cmd?: string[];
}

/**
 * Kubernetes semantics: no command and no args → the image's ENTRYPOINT and CMD; args only → the
 * image's ENTRYPOINT with these args; command (with or without args) → the image's CMD is ignored
 * (Docker drops the image CMD when Entrypoint is set).
 */
export function dockerCommand(container: Container, env: { name: string; value: string }[]): DockerCommand {
  const values = new Map(env.map((e) => [e.name, e.value]));
  const lookup = (name: string) => values.get(name);
  const out: DockerCommand = {};
  if (container.command && container.command.length > 0) out.entrypoint = container.command.map((c) => expand(c, lookup));
  if (container.args && container.args.length > 0) out.cmd = container.args.map((a) => expand(a, lookup));
  else if (out.entrypoint) out.cmd = [];
  return out;
}

const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIXES: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource.Quantity as a number ("128Mi" → 134217728, "500m" → 0.5); undefined when malformed. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === "number") return q;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!match) return undefined;
  const base = Number(match[1]);
  if (!Number.isFinite(base)) return undefined;
  const suffix = match[2] ?? "";
  const factor = BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix];
  return factor === undefined ? undefined : base * factor;
}

/** limits.memory → Docker Memory (bytes), limits.cpu → NanoCpus. */
export function resourceLimits(container: Container): { memoryBytes?: number; nanoCpus?: number } {
  const limits = container.resources?.limits ?? {};
  const memory = parseQuantity(limits.memory);
  const cpu = parseQuantity(limits.cpu);
  return {
    memoryBytes: memory && memory > 0 ? Math.round(memory) : undefined,
    nanoCpus: cpu && cpu > 0 ? Math.round(cpu * 1e9) : undefined,
  };
}
