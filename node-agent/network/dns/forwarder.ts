// Names outside the cluster go to the node's upstream resolvers over UDP, with a cache: answers
// are kept for their smallest TTL (capped), failures and NXDOMAIN briefly, as CoreDNS's forward and
// cache plugins do. One socket serves every query; a query id maps each answer back.
import dgram from "node:dgram";
import { readFile } from "node:fs/promises";
import packet, { type Answer, type DecodedPacket, type Question } from "dns-packet";

export const UPSTREAM_TIMEOUT_MS = 2_000;
export const CACHE_MAX_SECONDS = 300;
export const NEGATIVE_CACHE_SECONDS = 30;
export const CACHE_MAX_ENTRIES = 10_000;

export interface UpstreamAnswer {
  rcode: number;
  truncated: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

interface Pending {
  resolve: (answer: UpstreamAnswer | undefined) => void;
  timer: NodeJS.Timeout;
}

/** The nameservers of a resolv.conf, minus those that would send the node's queries back to itself. */
export function nameserversOf(resolvConf: string, exclude: Set<string>): string[] {
  const servers: string[] = [];
  for (const line of resolvConf.split("\n")) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m && !exclude.has(m[1]!)) servers.push(m[1]!);
  }
  return servers;
}

export async function systemNameservers(exclude: Set<string>): Promise<string[]> {
  return nameserversOf(await readFile("/etc/resolv.conf", "utf8").catch(() => ""), exclude);
}

function minTtl(answer: UpstreamAnswer): number {
  if (answer.rcode !== 0 || answer.answers.length === 0) return NEGATIVE_CACHE_SECONDS;
  return Math.min(CACHE_MAX_SECONDS, ...answer.answers.map((a) => ("ttl" in a && typeof a.ttl === "number" ? a.ttl : CACHE_MAX_SECONDS)));
}

export class Forwarder {
  private socket: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly cache = new Map<string, { answer: UpstreamAnswer; expires: number }>();
  private nextId = Math.floor(Math.random() * 65536);

  constructor(private readonly upstreams: () => string[]) {}

  async resolve(question: Question): Promise<UpstreamAnswer | undefined> {
    const key = `${question.name.toLowerCase()}|${question.type}|${question.class ?? "IN"}`;
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now()) return cached.answer;
    for (const upstream of this.upstreams()) {
      const answer = await this.ask(upstream, question);
      if (!answer || answer.rcode === 2) continue;
      if (!answer.truncated) {
        if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, { answer, expires: Date.now() + minTtl(answer) * 1000 });
      }
      return answer;
    }
    return undefined;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }

  private open(): dgram.Socket {
    if (this.socket) return this.socket;
    const socket = dgram.createSocket("udp4");
    socket.on("message", (message) => {
      let decoded: DecodedPacket;
      try {
        decoded = packet.decode(message);
      } catch {
        return;
      }
      const waiting = decoded.id === undefined ? undefined : this.pending.get(decoded.id);
      if (!waiting) return;
      this.pending.delete(decoded.id!);
      clearTimeout(waiting.timer);
      waiting.resolve({
        rcode: (decoded.flags ?? 0) & 0xf,
        truncated: decoded.flag_tc,
        answers: decoded.answers ?? [],
        authorities: decoded.authorities ?? [],
        additionals: (decoded.additionals ?? []).filter((a) => a.type !== "OPT"),
      });
    });
    socket.on("error", () => {
      this.socket = undefined;
    });
    socket.unref();
    this.socket = socket;
    return socket;
  }

  private ask(upstream: string, question: Question): Promise<UpstreamAnswer | undefined> {
    const socket = this.open();
    let id = this.nextId;
    for (let i = 0; i < 65536 && this.pending.has(id); i++) id = (id + 1) & 0xffff;
    this.nextId = (id + 1) & 0xffff;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, UPSTREAM_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      const query = packet.encode({ type: "query", id, flags: packet.RECURSION_DESIRED, questions: [question] });
      const [host, port] = upstream.split(":");
      socket.send(query, Number(port ?? 53), host, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      });
    });
  }
}
