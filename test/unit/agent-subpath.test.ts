// A container's subPath never leaves its volume: not by `..`, not by an absolute path, and not
// through a symlink the container planted inside the volume. A hollow node's hostPath stays in
// its own directory.
import { existsSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ApiClient } from "../../node-agent/api-client";
import type { Pod } from "../../node-agent/kubelet/types";
import { prepareVolumes, subPathSource } from "../../node-agent/volumes/volumes";

describe("subPathSource", () => {
  const root = mkdtempSync(join(tmpdir(), "edgeplane-subpath-"));
  const volume = join(root, "volume");
  mkdirSync(volume);
  writeFileSync(join(root, "credential.json"), "{}");

  it("resolves a path inside the volume, creating a missing directory", async () => {
    await expect(subPathSource(volume, "a/b")).resolves.toBe(join(volume, "a/b"));
  });

  it("refuses .. and absolute paths", async () => {
    await expect(subPathSource(volume, "../credential.json")).rejects.toThrow(/without '\.\.'/);
    await expect(subPathSource(volume, "/etc")).rejects.toThrow(/relative path/);
  });

  it("refuses a symlink that points out of the volume", async () => {
    symlinkSync(join(root, "credential.json"), join(volume, "escape"));
    await expect(subPathSource(volume, "escape")).rejects.toThrow(/leaves its volume/);
  });
});

describe("hostPath on a node whose filesystem is a directory (a hollow node's hostRoot)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edgeplane-hostroot-"));
  const hostRoot = join(dataDir, "host");
  const podWith = (path: string) => ({ metadata: { name: "p", namespace: "ns", uid: "u" }, spec: { containers: [], volumes: [{ name: "h", hostPath: { path } }] } }) as unknown as Pod;
  const prepare = (path: string) => prepareVolumes({ api: undefined as unknown as ApiClient, dataDir, nodeName: "n", pod: podWith(path), configMaps: new Map(), secrets: new Map(), hostRoot });

  it("lands under the root, and `..` stops at it as at a real /", async () => {
    expect((await prepare("/srv/data")).get("h")).toBe(join(hostRoot, "srv/data"));
    expect((await prepare("/../../etc/escape")).get("h")).toBe(join(hostRoot, "etc/escape"));
    expect(existsSync("/etc/escape")).toBe(false);
  });
});
