// A process's CPU time and memory from /proc, for the benchmarks that measure the agent.
import { readdirSync, readFileSync } from "node:fs";

/** utime + stime, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory in MB. */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) / 1024;
}

/**
 * Proportional set size in MB: each page shared by n processes counts 1/n. Summed over a
 * multi-process server (nginx's master and workers share most of their pages), it is the memory
 * the whole tree holds, where summed RSS would count every shared page once per process.
 */
export function pssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n").find((l) => l.startsWith("Pss:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) / 1024;
}

/** Linux's USER_HZ. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The direct children of a process (a proxy's workers). */
export function childPids(pid: number): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(pid);
    } catch {
      return false;
    }
  });
}

/** CPU time of a process, its threads and its children's, in nanoseconds (schedstat: finer than utime's ticks). */
export function treeCpuNs(pid: number): number {
  const taskNs = (p: number) => {
    try {
      return readdirSync(`/proc/${p}/task`).reduce((sum, t) => sum + Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, "utf8").split(" ")[0]), 0);
    } catch {
      return 0;
    }
  };
  return [pid, ...childPids(pid)].reduce((sum, p) => sum + taskNs(p), 0);
}
