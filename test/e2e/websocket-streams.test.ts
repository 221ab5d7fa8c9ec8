// Watches and pod logs over WebSocket, as a browser asks for them (its token in the
// base64url.bearer.authorization.k8s.io subprotocol), with the `ws` client against a local cluster:
// the events arrive one per message, the subprotocol is echoed, refusals are HTTP answers, a closed
// socket gives its watch slot back at once; and a real pod's log follows on a real Docker node.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, removeNodeContainers, type InstalledAgent } from "./node-agent-lib";

const NS = "sockets";
/** Low, so the test reaches it (the default is 1,000 watches of a kind per client). */
const WATCH_LIMIT = 2;
const BEARER_PREFIX = "base64url.bearer.authorization.k8s.io.";
const MESSAGE_TIMEOUT_MS = 15_000;

let cluster: Cluster;
/** A ServiceAccount's token: counted against the limit, unlike the admin (system:masters). */
let editorToken = "";

function bearer(token: string): string {
  return BEARER_PREFIX + Buffer.from(token).toString("base64url");
}

interface Socket {
  socket: WebSocket;
  protocol: string;
  /** The next message that `match`es (earlier ones are consumed), within MESSAGE_TIMEOUT_MS. */
  next(match?: (text: string, binary: boolean) => boolean): Promise<{ text: string; binary: boolean; data: Buffer }>;
  closed: Promise<number>;
}

type Opened = { ok: true; socket: Socket } | { ok: false; status: number; body: string };

/** Opens a WebSocket to `path`; a refused upgrade resolves with its HTTP status and body. */
function open(path: string, protocols: string[], headers: Record<string, string> = {}): Promise<Opened> {
  const url = cluster.url.replace(/^https:/, "wss:") + path;
  const socket = new WebSocket(url, protocols, { ca: cluster.caPem, headers });
  const queue: { text: string; binary: boolean; data: Buffer }[] = [];
  let wake: () => void = () => undefined;
  socket.on("message", (data: Buffer, binary: boolean) => {
    queue.push({ text: data.toString("utf8"), binary, data });
    wake();
  });
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  const next: Socket["next"] = async (match = () => true) => {
    const deadline = Date.now() + MESSAGE_TIMEOUT_MS;
    for (;;) {
      const i = queue.findIndex((m) => match(m.text, m.binary));
      if (i >= 0) return queue.splice(0, i + 1).pop()!;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(queue.map((m) => m.text.slice(0, 200)))}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  };
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ ok: true, socket: { socket, protocol: socket.protocol, next, closed } }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ ok: false, status: response.statusCode ?? 0, body }));
    });
    socket.once("error", reject);
  });
}

async function opened(path: string, protocols: string[], headers?: Record<string, string>): Promise<Socket> {
  const result = await open(path, protocols, headers);
  if (!result.ok) throw new Error(`upgrade refused: ${result.status} ${result.body}`);
  return result.socket;
}

const watchPath = (query = "") => `/api/v1/namespaces/${NS}/configmaps?watch=true${query}`;
const isEvent = (type: string, name: string) => (text: string) => {
  const event = JSON.parse(text) as { type: string; object: { metadata?: { name?: string } } };
  return event.type === type && event.object.metadata?.name === name;
};

beforeAll(async () => {
  cluster = await startCluster({ requestLog: false, vars: { WATCHES_PER_CLIENT: String(WATCH_LIMIT) } });
  await kubectlOk(cluster, ["create", "namespace", NS]);
  await kubectlOk(cluster, ["-n", NS, "create", "serviceaccount", "editor"]);
  await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "editor-edit", "--clusterrole=edit", `--serviceaccount=${NS}:editor`]);
  editorToken = (await kubectlOk(cluster, ["-n", NS, "create", "token", "editor"])).trim();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("watch over WebSocket", () => {
  it("sends ADDED, MODIFIED and DELETED one per text message, and echoes the one subprotocol offered", async () => {
    const watch = await opened(watchPath(), [bearer(cluster.token), "base64.binary.k8s.io"]);
    try {
      expect(watch.protocol).toBe("base64.binary.k8s.io");
      await kubectlOk(cluster, ["-n", NS, "create", "configmap", "live", "--from-literal=a=1"]);
      const added = await watch.next(isEvent("ADDED", "live"));
      expect(added.binary).toBe(false);
      // One event per message, ending in a newline as upstream's JSON serializer writes it.
      expect(added.text.endsWith("}\n")).toBe(true);
      expect((JSON.parse(added.text) as { object: { data: unknown } }).object.data).toEqual({ a: "1" });
      await kubectlOk(cluster, ["-n", NS, "patch", "configmap", "live", "-p", '{"data":{"a":"2"}}']);
      expect((JSON.parse((await watch.next(isEvent("MODIFIED", "live"))).text) as { object: { data: unknown } }).object.data).toEqual({ a: "2" });
      await kubectlOk(cluster, ["-n", NS, "delete", "configmap", "live"]);
      await watch.next(isEvent("DELETED", "live"));
    } finally {
      watch.socket.close();
    }
  });

  it("encodes per Accept (the ws client can set it): Table rows", async () => {
    const accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
    const watch = await opened(watchPath(), [bearer(cluster.token), "base64.binary.k8s.io"], { accept });
    try {
      await kubectlOk(cluster, ["-n", NS, "create", "configmap", "tabled", "--from-literal=a=1"]);
      const event = await watch.next((text) => text.includes('"tabled"'));
      const table = (JSON.parse(event.text) as { type: string; object: { kind: string; rows: { cells: unknown[] }[] } });
      expect(table.type).toBe("ADDED");
      expect(table.object.kind).toBe("Table");
      expect(table.object.rows[0]!.cells[0]).toBe("tabled");
    } finally {
      watch.socket.close();
      await kubectlOk(cluster, ["-n", NS, "delete", "configmap", "tabled"]);
    }
  });

  it("takes the token from Authorization too, and then echoes no subprotocol", async () => {
    const watch = await opened(watchPath(), [], { authorization: `Bearer ${cluster.token}` });
    expect(watch.protocol).toBe("");
    watch.socket.close();
  });

  it("refuses before the upgrade: a wrong token is 401, two other subprotocols 400, a bad query 400", async () => {
    const wrong = await open(watchPath(), [bearer("not-a-token"), "base64.binary.k8s.io"]);
    expect(wrong.ok || wrong.status).toBe(401);
    const malformed = await open(watchPath(), [`${BEARER_PREFIX}a`, "base64.binary.k8s.io"]);
    expect(malformed.ok || malformed.status).toBe(401);
    const two = await open(watchPath(), [bearer(cluster.token), "base64.binary.k8s.io", "binary.k8s.io"]);
    expect(two.ok || two.status).toBe(400);
    const badTimeout = await open(watchPath("&timeoutSeconds=-1"), [bearer(cluster.token), "x"]);
    expect(badTimeout.ok || badTimeout.status).toBe(400);
    const forbidden = await open(`/api/v1/namespaces/default/configmaps?watch=true`, [bearer(editorToken), "x"]);
    expect(forbidden.ok || forbidden.status).toBe(403);
  });

  it("ends with a normal close when the watch's timeoutSeconds runs out", async () => {
    const watch = await opened(watchPath("&timeoutSeconds=1"), [bearer(cluster.token), "x"]);
    expect(await watch.closed).toBe(1000);
  });

  it("ignores what the client sends, and a closed socket gives its watch slot back at once", async () => {
    const first = await opened(watchPath(), [bearer(editorToken), "x"]);
    const second = await opened(watchPath(), [bearer(editorToken), "x"]);
    // A client is not meant to send anything; whatever it sends changes nothing.
    first.socket.send("garbage");
    first.socket.send(Buffer.from([0, 255, 1]));
    const refused = await open(watchPath(), [bearer(editorToken), "x"]);
    expect(refused.ok || refused.status).toBe(429);
    expect(refused.ok ? "" : refused.body).toContain("too many watches");
    await kubectlOk(cluster, ["-n", NS, "create", "configmap", "still-live"]);
    await first.next(isEvent("ADDED", "still-live"));
    first.socket.close();
    await first.closed;
    // Within moments, not at the watch's timeout: the hub's stream was cancelled on the close.
    const freedAt = Date.now();
    let third: Socket | undefined;
    await eventually(async () => {
      const again = await open(watchPath(), [bearer(editorToken), "x"]);
      if (again.ok) third = again.socket;
      return again.ok;
    }, "the slot of a closed watch socket", 5_000, 100);
    expect(Date.now() - freedAt).toBeLessThan(5_000);
    second.socket.terminate();
    third?.socket.close();
    // The server is none the worse: a plain request still answers.
    expect(await kubectlOk(cluster, ["-n", NS, "get", "configmap", "still-live", "-o", "name"])).toContain("still-live");
  });
});

// The log comes from a real container through the node's tunnel (required under CI=true).
const HAVE_DOCKER = await requireDockerEngine();

describe.skipIf(!HAVE_DOCKER)("pod logs over WebSocket", () => {
  const node = `wslog-${process.pid}`;
  let prefix = "";
  let agent: InstalledAgent | undefined;
  const pod = "talker";
  const logPath = (query: string) => `/api/v1/namespaces/${NS}/pods/${pod}/log?${query}`;

  beforeAll(async () => {
    const image = await ensureBusyboxImage();
    prefix = await mkdtemp(join(tmpdir(), "edgeplane-wslog-node-"));
    agent = await installAgent(cluster, node, join(prefix, "root"));
    await eventually(async () => new RegExp(`^${node}\\s+Ready\\s`, "m").test(await kubectlOk(cluster, ["get", "nodes"])), `node ${node} Ready\n${agentLog(agent!)}`, 60_000);
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: ${pod}, namespace: ${NS}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Never
    command: ["sh", "-c", "i=0; while true; do echo \\"line $i é\\"; i=$((i+1)); sleep 0.2; done"]
`;
    const applied = await cluster.kubectl(["apply", "-f", "-"], { stdin: manifest });
    if (applied.code !== 0) throw new Error(applied.stderr);
    await eventually(async () => (await kubectlOk(cluster, ["-n", NS, "get", "pod", pod, "-o", "jsonpath={.status.phase}"])) === "Running", `pod ${pod} Running\n${agentLog(agent!)}`, 60_000);
  }, 180_000);

  afterAll(async () => {
    if (agent) await agent.uninstall().catch(() => agent!.kill());
    await removeNodeContainers(node);
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it("follows the log as base64 text messages (base64.binary.k8s.io), after an empty first message", async () => {
    const log = await opened(logPath("follow=true&tailLines=2"), [bearer(editorToken), "base64.binary.k8s.io"]);
    try {
      expect(log.protocol).toBe("base64.binary.k8s.io");
      const ping = await log.next();
      expect(ping).toMatchObject({ text: "", binary: false });
      let text = "";
      const decoder = new TextDecoder();
      // Two tailed lines, then new ones as the container writes them (one each 200 ms).
      while (!/line (\d+) é\n(?:.*\n)*line \d+ é\n(?:.*\n)*line \d+ é\n(?:.*\n)*line \d+ é\n/.test(text)) {
        const message = await log.next();
        expect(message.binary).toBe(false);
        text += decoder.decode(Buffer.from(message.text, "base64"), { stream: true });
      }
      expect(text).toMatch(/^line \d+ é\n/);
    } finally {
      log.socket.close();
    }
    await log.closed;
  });

  it("sends bytes for binary.k8s.io and with no subprotocol; refuses one it does not know (403)", async () => {
    for (const protocols of [[bearer(editorToken), "binary.k8s.io"], []]) {
      const headers: Record<string, string> = protocols.length === 0 ? { authorization: `Bearer ${editorToken}` } : {};
      const log = await opened(logPath("follow=true&tailLines=1"), protocols, headers);
      expect(log.protocol).toBe(protocols[1] ?? "");
      expect(await log.next()).toMatchObject({ text: "", binary: true });
      expect((await log.next((text) => text.length > 0)).text).toMatch(/^line \d+ é\n/);
      log.socket.close();
    }
    const unknown = await open(logPath("follow=true"), [bearer(editorToken), "v4.channel.k8s.io"]);
    expect(unknown.ok || unknown.status).toBe(403);
    // The pod's refusals are HTTP answers before any upgrade, as over plain GET.
    const noContainer = await open(logPath("container=nope"), [bearer(editorToken), "base64.binary.k8s.io"]);
    expect(noContainer.ok || noContainer.status).toBe(400);
  });

  it("ends a log without follow with a normal close", async () => {
    const log = await opened(logPath("tailLines=3"), [bearer(editorToken), "base64.binary.k8s.io"]);
    expect(await log.closed).toBe(1000);
  });

  it("follows again and again: a closed log socket leaves nothing behind that holds the next one up", async () => {
    for (let i = 0; i < 8; i++) {
      const log = await opened(logPath("follow=true&tailLines=1"), [bearer(editorToken), "base64.binary.k8s.io"]);
      await log.next((text) => text.length > 0);
      log.socket.close();
      await log.closed;
    }
  });
});
