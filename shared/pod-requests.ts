// What a pod asks of its node (resourcehelper.PodRequests): the sum of its containers, at least
// its largest init container, plus overhead, in millicores and bytes. The scheduler fits pods by
// it and the console's Overview shows it: one definition for both.
import { rec, records, type Json } from "./json";
import { milliCpu, parseQuantity } from "./quantity";

/** Requests a pod without any counts as, for scoring only (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST_BYTES = 200 * 1024 * 1024;

export interface PodRequests {
  cpu: number;
  memory: number;
  /** Non-zero variants used by the least-allocated score. */
  scoreCpu: number;
  scoreMemory: number;
}

function containerRequests(c: Json): { cpu: number; memory: number; hasCpu: boolean; hasMemory: boolean } {
  const resources = rec(c.resources);
  // Defaulting upstream copies limits into absent requests; do the same for objects that skipped it.
  const req = { ...rec(resources.limits), ...rec(resources.requests) };
  return { cpu: milliCpu(req.cpu), memory: parseQuantity(req.memory) ?? 0, hasCpu: req.cpu !== undefined, hasMemory: req.memory !== undefined };
}

/** The requests of a pod with this spec. */
export function podRequestsOf(podSpec: unknown): PodRequests {
  const spec = rec(podSpec);
  let cpu = 0;
  let memory = 0;
  let scoreCpu = 0;
  let scoreMemory = 0;
  for (const c of records(spec.containers)) {
    const r = containerRequests(c);
    cpu += r.cpu;
    memory += r.memory;
    scoreCpu += r.hasCpu ? r.cpu : DEFAULT_MILLI_CPU_REQUEST;
    scoreMemory += r.hasMemory ? r.memory : DEFAULT_MEMORY_REQUEST_BYTES;
  }
  for (const c of records(spec.initContainers)) {
    const r = containerRequests(c);
    cpu = Math.max(cpu, r.cpu);
    memory = Math.max(memory, r.memory);
  }
  const overhead = rec(spec.overhead);
  cpu += milliCpu(overhead.cpu);
  memory += parseQuantity(overhead.memory) ?? 0;
  return { cpu, memory, scoreCpu: Math.max(scoreCpu, cpu), scoreMemory: Math.max(scoreMemory, memory) };
}
