// The hollow runtime passes the runtime conformance suite, and what is its own: init containers
// complete at once, and a pod is given an address from the node's block.
import { describe, expect, it } from "vitest";
import { HollowRuntime } from "../../node-agent/runtime/hollow";
import { runtimeConformance } from "../agent/runtime-conformance";

runtimeConformance("hollow", async () => ({ runtime: new HollowRuntime("hollow-node"), image: "busybox", runsCommands: false, cleanup: async () => undefined }));

describe("HollowRuntime", () => {
  const pod = { namespace: "ns", name: "p", uid: "u" };

  it("completes an init container when it starts, and keeps an app container running", async () => {
    const runtime = new HollowRuntime("n");
    await runtime.ensureNetwork("10.244.3.0/24");
    const sandbox = await runtime.createSandbox({ pod, hostname: "p", hostNetwork: false, hostPorts: [] });
    await runtime.start(sandbox);
    expect(await runtime.sandboxIp(sandbox)).toMatch(/^10\.244\.3\.\d+$/);
    const options = { pod, restartCount: 0, sandboxId: sandbox, image: "busybox", env: [], binds: [], tty: false, stdin: false, privileged: false };
    const init = await runtime.createContainer({ ...options, name: "setup", init: true });
    const app = await runtime.createContainer({ ...options, name: "app", init: false });
    await runtime.start(init);
    await runtime.start(app);
    expect(await runtime.inspect(init)).toMatchObject({ status: "exited", exitCode: 0, running: false });
    expect(await runtime.inspect(app)).toMatchObject({ status: "running", running: true });
  });

  it("keeps the address the agent chose for a sandbox", async () => {
    const runtime = new HollowRuntime("n");
    const sandbox = await runtime.createSandbox({ pod, hostname: "p", hostNetwork: false, hostPorts: [], podIP: "10.244.3.77" });
    await runtime.start(sandbox);
    expect(await runtime.sandboxIp(sandbox)).toBe("10.244.3.77");
    expect(await runtime.podIPsInUse()).toEqual(["10.244.3.77"]);
  });
});
