// Names outside the cluster go to the node's upstream resolvers over UDP, with a cache: answers
// are kept for their smallest TTL (capped), failures and NXDOMAIN briefly, as CoreDNS's forward and
// cache plugins do. One socket serves every query; a query id maps each answer back, and only an
// answer from the server asked, to the question asked, is taken. A truncated answer is asked
// again over TCP, as a stub resolver would.
import dgram from "node:dgram";
import net from "node:net";
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
  host: string;
  port: number;
  name: string;
}

function answerOf(decoded: DecodedPacket): UpstreamAnswer {
  return {
    rcode: (decoded.flags ?? 0) & 0xf,
    truncated: decoded.flag_tc,
    answers: decoded.answers ?? [],
    authorities: decoded.authorities ?? [],
    additionals: (decoded.additionals ?? []).filter((a) => a.type !== "OPT"),
  };
}

function hostPort(upstream: string): { host: string; port: number } {
  const [host, port] = upstream.split(":");
  return { host: host!, port: Number(port ?? 53) };
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
      let answer = await this.ask(upstream, question);
      if (answer?.truncated) answer = (await this.askTcp(upstream, question)) ?? answer;
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
    socket.on("message", (message, from) => {
      let decoded: DecodedPacket;
      try {
        decoded = packet.decode(message);
      } catch {
        return;
      }
      const waiting = decoded.id === undefined ? undefined : this.pending.get(decoded.id);
      // Anyone can send a datagram with a guessed id: it must come from the server asked, about the name asked.
      if (!waiting || from.address !== waiting.host || from.port !== waiting.port) return;
      if (decoded.questions?.[0]?.name.toLowerCase() !== waiting.name) return;
      this.pending.delete(decoded.id!);
      clearTimeout(waiting.timer);
      waiting.resolve(answerOf(decoded));
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
      const { host, port } = hostPort(upstream);
      this.pending.set(id, { resolve, timer, host, port, name: question.name.toLowerCase() });
      const query = packet.encode({ type: "query", id, flags: packet.RECURSION_DESIRED, questions: [question] });
      socket.send(query, port, host, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      });
    });
  }

  /** The same question over TCP (length-prefixed messages), for an answer too big for UDP. */
  private askTcp(upstream: string, question: Question): Promise<UpstreamAnswer | undefined> {
    const { host, port } = hostPort(upstream);
    const id = Math.floor(Math.random() * 65536);
    return new Promise((resolve) => {
      let received = Buffer.alloc(0);
      const socket = net.connect({ host, port });
      const done = (answer: UpstreamAnswer | undefined) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(UPSTREAM_TIMEOUT_MS, () => done(undefined));
      socket.on("error", () => done(undefined));
      socket.on("connect", () => socket.write(packet.streamEncode({ type: "query", id, flags: packet.RECURSION_DESIRED, questions: [question] })));
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        // A DNS message is at most 65,535 bytes after its 2-byte length.
        if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
        try {
          const decoded = packet.streamDecode(received) as DecodedPacket;
          done(decoded.id === id ? answerOf(decoded) : undefined);
        } catch {
          done(undefined);
        }
      });
      socket.on("end", () => done(undefined));
    });
  }
}
