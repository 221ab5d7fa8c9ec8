// The node's cluster DNS server (CoreDNS's job), on the cluster DNS address over UDP and TCP:
// cluster names from the zone, everything else through the forwarder. A malformed query gets
// FORMERR (or nothing, when not even its header parses); no query can stop the server.
import dgram from "node:dgram";
import net from "node:net";
import packet, { type Answer, type DecodedPacket, type Packet } from "dns-packet";
import type { Forwarder } from "./forwarder";
import { RECORD_TTL_SECONDS, type ClusterZone, type ZoneRecord } from "./zone";

/** Without EDNS a UDP answer may be 512 bytes; a bigger one is truncated and the client asks over TCP. */
export const UDP_PLAIN_LIMIT = 512;
export const UDP_EDNS_LIMIT = 1232;
export const TCP_IDLE_MS = 10_000;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

function toAnswer(record: ZoneRecord): Answer {
  return { ...record, ttl: RECORD_TTL_SECONDS, class: "IN" } as Answer;
}

/** The SOA that goes with NXDOMAIN/NODATA answers, so resolvers cache the negative answer briefly. */
function soa(domain: string): Answer {
  return {
    type: "SOA",
    name: domain,
    ttl: RECORD_TTL_SECONDS,
    class: "IN",
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL_SECONDS },
  };
}

/** Binds a socket or server, rejecting on the error a failed bind emits (EADDRINUSE, EADDRNOTAVAIL). */
function listening(emitter: NodeJS.EventEmitter, bind: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    emitter.once("error", reject);
    bind(() => {
      emitter.off("error", reject);
      resolve();
    });
  });
}

export interface DnsServerOptions {
  zone: ClusterZone;
  forwarder: Forwarder;
  address: string;
  port?: number;
  log: (message: string) => void;
}

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  queries = 0;

  constructor(private readonly options: DnsServerOptions) {}

  async start(): Promise<void> {
    const { address, port = 53 } = this.options;
    const udp = dgram.createSocket({ type: "udp4", reuseAddr: true });
    udp.on("message", (message, remote) => {
      void this.answer(message, true).then((reply) => {
        if (reply) udp.send(reply, remote.port, remote.address);
      });
    });
    udp.on("error", (error) => this.options.log(`dns udp: ${error.message}`));
    await listening(udp, (done) => udp.bind(port, address, done));
    this.udp = udp;
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    tcp.on("error", (error) => this.options.log(`dns tcp: ${error.message}`));
    await listening(tcp, (done) => tcp.listen(port, address, done));
    this.tcp = tcp;
  }

  stop(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  private serveTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void this.answer(message, false).then((reply) => {
          if (!reply || socket.destroyed) return;
          const framed = Buffer.alloc(2 + reply.length);
          framed.writeUInt16BE(reply.length, 0);
          reply.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  }

  /** The encoded reply to one query, or undefined when there is nothing to answer. */
  async answer(message: Buffer, udp: boolean): Promise<Buffer | undefined> {
    this.queries += 1;
    let query: DecodedPacket;
    try {
      query = packet.decode(message);
    } catch {
      // Only a readable header can be answered (FORMERR echoes its id).
      return message.length >= 12 ? packet.encode({ type: "response", id: message.readUInt16BE(0), flags: RCODE.FORMERR }) : undefined;
    }
    if (query.type === "response") return undefined;
    const questions = query.questions ?? [];
    const edns = (query.additionals ?? []).find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
    const base = { type: "response" as const, id: query.id, questions, flags: (query.flags ?? 0) & packet.RECURSION_DESIRED };
    const reply = (p: Packet): Buffer => {
      const withOpt: Packet = edns ? { ...p, additionals: [...(p.additionals ?? []), { type: "OPT", name: ".", udpPayloadSize: UDP_EDNS_LIMIT } as Answer] } : p;
      const encoded = packet.encode(withOpt);
      const limit = edns ? Math.max(UDP_PLAIN_LIMIT, Math.min(edns.udpPayloadSize ?? UDP_PLAIN_LIMIT, UDP_EDNS_LIMIT)) : UDP_PLAIN_LIMIT;
      if (!udp || encoded.length <= limit) return encoded;
      return packet.encode({ ...base, flags: (p.flags ?? 0) | packet.TRUNCATED_RESPONSE });
    };
    try {
      const question = questions[0];
      if (questions.length !== 1 || !question) return reply({ ...base, flags: base.flags | RCODE.FORMERR });
      if ((query.flags ?? 0) & 0x7800) return reply({ ...base, flags: base.flags | packet.RECURSION_AVAILABLE | RCODE.NOTIMP });
      const { zone, forwarder } = this.options;
      if (zone.owns(question.name)) {
        const found = zone.lookup(question.name, question.type);
        return reply({
          ...base,
          flags: base.flags | packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | found.rcode,
          answers: found.answers.map(toAnswer),
          additionals: found.additionals.map(toAnswer),
          authorities: found.answers.length === 0 ? [soa(zone.domain)] : [],
        });
      }
      const upstream = await forwarder.resolve(question);
      if (!upstream) return reply({ ...base, flags: base.flags | packet.RECURSION_AVAILABLE | RCODE.SERVFAIL });
      return reply({
        ...base,
        flags: base.flags | packet.RECURSION_AVAILABLE | upstream.rcode | (upstream.truncated ? packet.TRUNCATED_RESPONSE : 0),
        answers: upstream.answers,
        authorities: upstream.authorities,
        additionals: upstream.additionals,
      });
    } catch (error) {
      this.options.log(`dns: ${error instanceof Error ? error.message : String(error)}`);
      return reply({ ...base, flags: base.flags | RCODE.SERVFAIL });
    }
  }
}
