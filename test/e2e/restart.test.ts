// Stopping and starting the local control plane keeps every object (D1 on disk under the state directory).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startCluster } from "./harness";

const root = mkdtempSync(join(tmpdir(), "edgeplane-restart-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("keeps objects across a restart", async () => {
  const first = await startCluster({ root });
  try {
    expect((await first.kubectl(["create", "configmap", "survivor", "--from-literal=k=v"])).code).toBe(0);
  } finally {
    await first.stop();
  }
  const second = await startCluster({ root });
  try {
    const res = await second.kubectl(["get", "configmap", "survivor", "-o", "jsonpath={.data.k}"]);
    expect(res.stdout).toBe("v");
    expect(second.token).toBe(first.token);
  } finally {
    await second.stop();
  }
}, 120_000);
