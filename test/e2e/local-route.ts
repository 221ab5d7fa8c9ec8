// The check every test and benchmark runs before sending to a Service or pod address: without
// the agent's rules and routes such an address would go out through the default gateway.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Refuses (throws) unless the kernel would deliver `ip` on this machine (the pod bridge, the Service sink, loopback). */
export async function assertStaysLocal(ip: string): Promise<void> {
  const { stdout } = await run("ip", ["route", "get", ip]);
  const local = /^local /.test(stdout) || / dev (edgeplane0|edgeplane-svc|lo) /.test(stdout);
  if (!local) throw new Error(`refusing to send to ${ip}: its route leaves the machine (${stdout.trim()})`);
}
