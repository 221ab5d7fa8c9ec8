// Pod spec → Docker container config, the pure parts: command/args (command replaces the image's
// ENTRYPOINT, args its CMD, as dockershim maps them), $(VAR) expansion, and resource limits.
import { parseQuantity } from "../../shared/quantity";
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
