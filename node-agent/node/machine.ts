// Facts about this machine for the Node object: addresses, capacity, OS and kernel, and the
// pressure conditions kubelet's eviction manager reports (memory, disk, PIDs) from /proc and statfs.
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { cpus, hostname, networkInterfaces, release, totalmem } from "node:os";

/** kubelet's default hard eviction thresholds. */
export const MEMORY_AVAILABLE_MIN_BYTES = 100 * 2 ** 20;
export const DISK_AVAILABLE_MIN_FRACTION = 0.1;
export const PID_AVAILABLE_MIN_FRACTION = 0.05;

export interface MachineInfo {
  hostname: string;
  internalIP: string;
  cpu: number;
  memoryKi: number;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  machineID: string;
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

/** The first global IPv4 address not on a Docker bridge or veth. */
export function internalIP(interfaces = networkInterfaces()): string {
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (/^(docker|br-|veth|lo)/.test(name)) continue;
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export function architecture(arch = process.arch): string {
  return arch === "x64" ? "amd64" : arch;
}

function osImage(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}

function machineID(): string {
  try {
    return readFileSync("/etc/machine-id", "utf8").trim();
  } catch {
    return "";
  }
}

export function machineInfo(): MachineInfo {
  return {
    hostname: hostname().toLowerCase(),
    internalIP: internalIP(),
    cpu: cpus().length,
    memoryKi: Math.floor(totalmem() / 1024),
    osImage: osImage(),
    kernelVersion: release(),
    architecture: architecture(),
    machineID: machineID(),
  };
}

/** MemAvailable from /proc/meminfo in bytes (undefined when unreadable). */
export function memAvailableBytes(meminfo?: string): number | undefined {
  try {
    const text = meminfo ?? readFileSync("/proc/meminfo", "utf8");
    const match = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function pidPressure(): boolean {
  try {
    const max = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim());
    const running = Number(/^(\d+)/.exec(readFileSync("/proc/loadavg", "utf8").split(" ")[3]?.split("/")[1] ?? "")?.[1] ?? "0");
    return max > 0 && (max - running) / max < PID_AVAILABLE_MIN_FRACTION;
  } catch {
    return false;
  }
}

export async function pressure(dataDir: string): Promise<Pressure> {
  const memory = (memAvailableBytes() ?? Infinity) < MEMORY_AVAILABLE_MIN_BYTES;
  let disk = false;
  try {
    const fs = await statfs(dataDir);
    disk = fs.blocks > 0 && fs.bavail / fs.blocks < DISK_AVAILABLE_MIN_FRACTION;
  } catch {
    disk = false;
  }
  return { memory, disk, pid: pidPressure() };
}
