// The cluster DNS forwarder against real sockets on loopback: answers are taken only from the
// server asked and for the question asked, and a truncated UDP answer is asked again over TCP.
import dgram from "node:dgram";
import net from "node:net";
import packet from "dns-packet";
import { afterEach, describe, expect, it } from "vitest";
import { Forwarder } from "../../node-agent/network/dns/forwarder";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function udpServer(onQuery: (query: packet.DecodedPacket, reply: (p: packet.Packet) => void, socket: dgram.Socket, from: dgram.RemoteInfo) => void): Promise<number> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (message, from) => onQuery(packet.decode(message), (p) => socket.send(packet.encode(p), from.port, from.address), socket, from));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  closers.push(() => socket.close());
  return socket.address().port;
}

const answers = (name: string, count: number) => Array.from({ length: count }, (_, i) => ({ type: "A" as const, name, ttl: 60, data: `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}` }));

describe("DNS forwarder", () => {
  it("asks a truncated answer again over TCP and returns the whole one", async () => {
    const name = "big.example.test";
    const port = await udpServer((q, reply) => reply({ type: "response", id: q.id, flags: packet.TRUNCATED_RESPONSE, questions: q.questions, answers: answers(name, 3) }));
    // The TCP server on the same port number answers with all 100 records.
    const tcp = net.createServer((socket) => {
      socket.once("data", (data: Buffer) => {
        const q = packet.streamDecode(data) as packet.DecodedPacket;
        socket.end(packet.streamEncode({ type: "response", id: q.id, questions: q.questions, answers: answers(name, 100) }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, "127.0.0.1", resolve);
    });
    closers.push(() => tcp.close());
    const forwarder = new Forwarder(() => [`127.0.0.1:${port}`]);
    closers.push(() => forwarder.close());
    const answer = await forwarder.resolve({ type: "A", name });
    expect(answer?.truncated).toBe(false);
    expect(answer?.answers).toHaveLength(100);
  });

  it("ignores a reply from another port or about another name, and takes the real one", async () => {
    const name = "real.example.test";
    const spoofer = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => spoofer.bind(0, "127.0.0.1", resolve));
    closers.push(() => spoofer.close());
    const port = await udpServer((q, reply, _socket, from) => {
      // First a forged answer with the right id from another socket, then a wrong-name one, then the real one.
      spoofer.send(packet.encode({ type: "response", id: q.id, questions: q.questions, answers: [{ type: "A", name, ttl: 60, data: "6.6.6.6" }] }), from.port, from.address);
      setTimeout(() => reply({ type: "response", id: q.id, questions: [{ type: "A", name: "other.example.test" }], answers: [{ type: "A", name: "other.example.test", ttl: 60, data: "7.7.7.7" }] }), 20);
      setTimeout(() => reply({ type: "response", id: q.id, questions: q.questions, answers: [{ type: "A", name, ttl: 60, data: "10.1.2.3" }] }), 40);
    });
    const forwarder = new Forwarder(() => [`127.0.0.1:${port}`]);
    closers.push(() => forwarder.close());
    const answer = await forwarder.resolve({ type: "A", name });
    expect(answer?.answers.map((a) => ("data" in a ? a.data : undefined))).toEqual(["10.1.2.3"]);
  });
});
