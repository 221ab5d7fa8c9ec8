// What every PodRuntime must do, the same for Docker and for the hollow runtime: the lifecycle the
// kubelet drives (sandbox, then containers in it: created → running → exited → removed), lookups by
// pod, exec, events, and idempotent stop and remove. Each implementation's test file runs it.
import { readlinkSync } from "node:fs";
import type { Duplex, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PodRef } from "../../node-agent/runtime/labels";
import type { ContainerOptions, OutputChunk, PodRuntime } from "../../node-agent/runtime/types";
import { findFreePort } from "../../scripts/lib/local-cluster";

export interface RuntimeUnderTest {
  runtime: PodRuntime;
  /** An image the runtime has (Docker: the locally built busybox). */
  image: string;
  /** Whether exec runs the command (Docker) or only answers for it (hollow: exit 0, no output). */
  runsCommands: boolean;
  /** Removes whatever the run left (Docker: the node's containers and network). */
  cleanup(): Promise<void>;
}

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Everything a stream yields until it ends (bytes, or OutputChunks by stream). */
function collect(stream: Readable): { text: () => string; byStream: (n: 1 | 2) => string; ended: Promise<void> } {
  const parts: (Buffer | OutputChunk)[] = [];
  stream.on("data", (p: Buffer | OutputChunk) => parts.push(p));
  const ended = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("error", reject);
  });
  const bytes = (p: Buffer | OutputChunk) => (Buffer.isBuffer(p) ? p : p.bytes);
  return {
    text: () => Buffer.concat(parts.map(bytes)).toString("utf8"),
    byStream: (n) => Buffer.concat(parts.filter((p): p is OutputChunk => !Buffer.isBuffer(p) && p.stream === n).map((p) => p.bytes)).toString("utf8"),
    ended,
  };
}

export function runtimeConformance(name: string, make: () => Promise<RuntimeUnderTest>): void {
  describe(`PodRuntime conformance: ${name}`, () => {
    let t: RuntimeUnderTest;
    let n = 0;
    const pod = (): PodRef => ({ namespace: "conformance", name: `p${++n}`, uid: `uid-${name}-${process.pid}-${n}` });
    const container = (ref: PodRef, sandboxId: string, over: Partial<ContainerOptions> = {}): ContainerOptions => ({
      pod: ref,
      name: "app",
      init: false,
      restartCount: 0,
      sandboxId,
      image: t.image,
      cmd: ["sleep", "3600"],
      env: ["GREETING=hello"],
      binds: [],
      tty: false,
      stdin: false,
      privileged: false,
      ...over,
    });
    const runningSandbox = async (ref: PodRef) => {
      const id = await t.runtime.createSandbox({ pod: ref, hostname: ref.name, hostNetwork: false, hostPorts: [] });
      await t.runtime.start(id);
      return id;
    };

    beforeAll(async () => {
      t = await make();
      await t.runtime.ensureNetwork();
    }, 120_000);

    afterAll(async () => {
      await t?.cleanup();
    }, 120_000);

    it("answers with its version", async () => {
      expect(await t.runtime.version()).toMatch(/\S/);
    });

    it("creates a sandbox stopped, starts it, and reports its process and address", async () => {
      const ref = pod();
      const id = await t.runtime.createSandbox({ pod: ref, hostname: ref.name, hostNetwork: false, hostPorts: [] });
      expect((await t.runtime.inspect(id))?.status).toBe("created");
      expect(await t.runtime.list(ref.uid)).toEqual([expect.objectContaining({ id, type: "podsandbox", pod: ref, containerName: "POD", restartCount: 0, state: "created" })]);
      await t.runtime.start(id);
      const state = await t.runtime.inspect(id);
      expect(state).toMatchObject({ status: "running", running: true });
      expect(state!.pid).toBeGreaterThan(0);
      expect(await t.runtime.sandboxPid(id)).toBe(state!.pid);
      expect(await t.runtime.sandboxIp(id)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });

    it("runs a container in the sandbox, then stops it with an exit status and its times", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox, { restartCount: 2 }));
      expect(await t.runtime.inspect(id)).toMatchObject({ status: "created", running: false });
      await t.runtime.start(id);
      const running = await t.runtime.inspect(id);
      expect(running).toMatchObject({ status: "running", running: true });
      expect(Date.parse(running!.startedAt!)).not.toBeNaN();
      expect(running!.imageId).toMatch(/\S/);
      const listed = (await t.runtime.list(ref.uid)).find((c) => c.id === id);
      expect(listed).toMatchObject({ type: "container", containerName: "app", restartCount: 2, state: "running", pod: ref });
      await t.runtime.stop(id, 1);
      const stopped = await t.runtime.inspect(id);
      expect(stopped).toMatchObject({ status: "exited", running: false, pid: 0 });
      expect(stopped!.exitCode).toBeGreaterThan(128); // ended by a signal
      expect(Date.parse(stopped!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(running!.startedAt!) - 1000);
    });

    it("lists containers by pod and all of the node's together", async () => {
      const a = pod();
      const b = pod();
      const sa = await runningSandbox(a);
      await runningSandbox(b);
      await t.runtime.createContainer(container(a, sa));
      expect((await t.runtime.list(a.uid)).map((c) => c.type).sort()).toEqual(["container", "podsandbox"]);
      expect((await t.runtime.list(b.uid)).map((c) => c.type)).toEqual(["podsandbox"]);
      const all = new Set((await t.runtime.list()).map((c) => c.pod.uid));
      expect(all.has(a.uid) && all.has(b.uid)).toBe(true);
    });

    it("execs in a running container", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox));
      await t.runtime.start(id);
      const result = await t.runtime.exec(id, ["sh", "-c", 'echo "$GREETING"; exit 3'], 10_000);
      if (t.runsCommands) expect(result).toEqual({ exitCode: 3, output: "hello\n" });
      else expect(result).toEqual({ exitCode: 0, output: "" });
    });

    it("puts a container in the node's process and IPC namespaces only when asked (hostPID, hostIPC)", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const shared = await t.runtime.createContainer(container(ref, sandbox, { name: "host-ns", hostPID: true, hostIPC: true }));
      const own = await t.runtime.createContainer(container(ref, sandbox, { name: "own-ns" }));
      await t.runtime.start(shared);
      await t.runtime.start(own);
      if (!t.runsCommands) return;
      const namespace = async (id: string, kind: "pid" | "ipc") => (await t.runtime.exec(id, ["readlink", `/proc/self/ns/${kind}`], 10_000)).output.trim();
      // This test runs in the node's namespaces, as dockerd does.
      for (const kind of ["pid", "ipc"] as const) {
        const node = readlinkSync(`/proc/self/ns/${kind}`);
        expect(await namespace(shared, kind)).toBe(node);
        expect(await namespace(own, kind)).toMatch(new RegExp(`^${kind}:`));
        expect(await namespace(own, kind)).not.toBe(node);
      }
    });

    it("serves a container's log whole, by tail, and followed until the container stops", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox, { cmd: ["sh", "-c", "echo one; echo two; sleep 0.3; echo three >&2; exec sleep 3600"] }));
      await t.runtime.start(id);
      // stdout and stderr are two pipes, merged in the order the lines arrived: stderr's comes later.
      const expected = t.runsCommands ? "one\ntwo\nthree\n" : "";
      let seen = "";
      await eventually(async () => {
        const whole = collect(await t.runtime.containerLog(id, { follow: false, timestamps: false }));
        await whole.ended;
        seen = whole.text();
        return seen === expected;
      }, "the whole log").catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(seen)}`);
      });
      const tail = collect(await t.runtime.containerLog(id, { follow: false, timestamps: false, tailLines: 1 }));
      await tail.ended;
      expect(tail.text()).toBe(t.runsCommands ? "three\n" : "");
      const followed = collect(await t.runtime.containerLog(id, { follow: true, timestamps: true }));
      if (t.runsCommands) await eventually(async () => followed.text().includes("three"), "the followed log");
      await t.runtime.stop(id, 0);
      await followed.ended;
      if (t.runsCommands) expect(followed.text()).toMatch(/^\d{4}-\d\d-\d\dT\S+ one\n/);
    });

    it("execs with standard streams: input, stdout and stderr apart, the exit code", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox));
      await t.runtime.start(id);
      const session = await t.runtime.execStream(id, ["sh", "-c", "echo out; echo err >&2; read x; echo got $x; exit 4"], { stdin: true, stdout: true, stderr: true, tty: false });
      expect(session.tty).toBe(false);
      const output = collect(session.output);
      session.write(Buffer.from("abc\n"));
      session.endInput();
      await output.ended;
      if (t.runsCommands) {
        expect(output.byStream(1)).toBe("out\ngot abc\n");
        expect(output.byStream(2)).toBe("err\n");
        expect(await session.exitCode()).toBe(4);
      } else {
        expect(output.text()).toBe("");
        expect(await session.exitCode()).toBe(0);
      }
      session.close();
    });

    it("attaches to the main process until the container stops", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox, { stdin: true, cmd: ["sh", "-c", 'while read l; do echo "got $l"; done; sleep 3600'] }));
      await t.runtime.start(id);
      const session = await t.runtime.attach(id, { stdin: true, stdout: true, stderr: true });
      const output = collect(session.output);
      if (t.runsCommands) {
        // The first line can race the attachment: say it until it is heard.
        await eventually(async () => {
          session.write(Buffer.from("hi\n"));
          await new Promise((r) => setTimeout(r, 100));
          return output.byStream(1).includes("got hi\n");
        }, "the attached process's answer");
      }
      await t.runtime.stop(id, 0);
      await output.ended;
      expect(await session.exitCode()).toBeUndefined();
      session.close();
    });

    it("connects to a port in the pod's network, or says why it cannot", async () => {
      const ref = pod();
      // Host network: the pod's ports are this machine's loopback ports, the only place a test may send.
      const sandbox = await t.runtime.createSandbox({ pod: ref, hostname: ref.name, hostNetwork: true, hostPorts: [] });
      await t.runtime.start(sandbox);
      if (!t.runsCommands) {
        await expect(t.runtime.connectPort(sandbox, 80)).rejects.toThrow(/no network/);
        return;
      }
      const port = await findFreePort();
      const id = await t.runtime.createContainer(container(ref, sandbox, { cmd: ["sh", "-c", `echo pong | nc -l -p ${port}`] }));
      await t.runtime.start(id);
      let socket: Duplex | undefined;
      await eventually(async () => {
        socket = await t.runtime.connectPort(sandbox, port).catch(() => undefined);
        return socket !== undefined;
      }, "the pod's port to listen");
      const answer = collect(socket!);
      await answer.ended;
      expect(answer.text()).toBe("pong\n");
      await expect(t.runtime.connectPort(sandbox, port)).rejects.toThrow(new RegExp(`failed to connect to 127\\.0\\.0\\.1:${port}`));
    });

    it("stops and removes idempotently; a removed container is gone", async () => {
      const ref = pod();
      const sandbox = await runningSandbox(ref);
      const id = await t.runtime.createContainer(container(ref, sandbox));
      await t.runtime.start(id);
      await t.runtime.stop(id, 0);
      await t.runtime.stop(id, 0);
      await t.runtime.remove(id);
      await t.runtime.remove(id);
      await t.runtime.stop(id, 0);
      expect(await t.runtime.inspect(id)).toBeUndefined();
      expect((await t.runtime.list(ref.uid)).map((c) => c.id)).toEqual([sandbox]);
    });

    it("has the images it runs, and pulls nothing for IfNotPresent", async () => {
      expect(await t.runtime.imageId(t.image)).toMatch(/\S/);
      expect(await t.runtime.ensureImage(t.image, "IfNotPresent", [])).toBe(false);
      expect(await t.runtime.ensureImage(t.image, "Never", [])).toBe(false);
    });

    it("reports a pod's container starting and being removed as events of that pod", async () => {
      const seen: string[] = [];
      const stop = t.runtime.watchEvents((uid) => seen.push(uid), () => undefined);
      try {
        // The engine's stream may take a moment to open: restart the container until an event arrives.
        const ref = pod();
        const sandbox = await runningSandbox(ref);
        const id = await t.runtime.createContainer(container(ref, sandbox));
        await t.runtime.start(id);
        await eventually(async () => {
          if (seen.includes(ref.uid)) return true;
          await t.runtime.stop(id, 0);
          await t.runtime.start(id);
          return false;
        }, "an event for the pod");
        seen.length = 0;
        await t.runtime.remove(id);
        await eventually(async () => seen.includes(ref.uid), "an event for the removal");
      } finally {
        stop();
      }
    });
  });
}
