// A container's subPath never leaves its volume: not by `..`, not by an absolute path, and not
// through a symlink the container planted inside the volume.
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { subPathSource } from "../../node-agent/volumes/volumes";

describe("subPathSource", () => {
  const root = mkdtempSync(join(tmpdir(), "edgeplane-subpath-"));
  const volume = join(root, "volume");
  mkdirSync(volume);
  writeFileSync(join(root, "credential.json"), "{}");

  it("resolves a path inside the volume, creating a missing directory", () => {
    expect(subPathSource(volume, "a/b")).toBe(join(volume, "a/b"));
  });

  it("refuses .. and absolute paths", () => {
    expect(() => subPathSource(volume, "../credential.json")).toThrow(/without '\.\.'/);
    expect(() => subPathSource(volume, "/etc")).toThrow(/relative path/);
  });

  it("refuses a symlink that points out of the volume", () => {
    symlinkSync(join(root, "credential.json"), join(volume, "escape"));
    expect(() => subPathSource(volume, "escape")).toThrow(/leaves its volume/);
  });
});
