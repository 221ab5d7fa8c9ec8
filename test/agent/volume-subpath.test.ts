// subPath on the real kernel (root needed): each component opened without following symlinks and
// the opened object bind-mounted under <pod>/volume-subpaths, so a symlink a container swaps in
// after the check cannot move the mount onto the node's files; the binds go with the pod.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { bindOpened, openBeneath, type SubPathTarget } from "../../node-agent/volumes/subpath";
import { cleanupPodVolumes, podDir, subPathSource } from "../../node-agent/volumes/volumes";
import { ensureBusyboxImage, requireDockerEngine } from "../e2e/docker-images";

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT && (process.env.CI === "true" || process.env.CI === "1")) throw new Error("the subPath mount tests need root (CI=true: failing, not skipping)");
const HAVE_DOCKER = IS_ROOT && (await requireDockerEngine());

/** How many mounts sit exactly on `path` (/proc/self/mountinfo, field 5, octal escapes undone). */
function mountsAt(path: string): number {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line && unescape(line.split(" ")[4] ?? "") === path).length;
}

describe.skipIf(!IS_ROOT)("subPath bind mounts", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "edgeplane-subpath-mount-"));
  const uid = "pod-uid";
  const pod = podDir(dataDir, uid);
  const volume = join(pod, "volumes", "kubernetes.io~empty-dir", "v");
  const outside = join(dataDir, "outside");
  const hostVolume = join(dataDir, "host-data");
  mkdirSync(volume, { recursive: true });
  chmodSync(volume, 0o777);
  mkdirSync(join(outside, "d"), { recursive: true });
  writeFileSync(join(outside, "d", "node-secret"), "host");
  mkdirSync(join(hostVolume, "kept"), { recursive: true });
  writeFileSync(join(hostVolume, "kept", "data"), "pv");
  const target = (index: number, volumeName = "v"): SubPathTarget => ({ podDir: pod, volumeName, containerName: "c", index });
  const targetPath = (index: number, volumeName = "v") => join(pod, "volume-subpaths", volumeName, "c", String(index));

  afterAll(async () => {
    // Never rm a tree that may still hold a bind of the host's files.
    await cleanupPodVolumes(dataDir, uid);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("binds a/b onto the pod's target: same inode, same content", async () => {
    mkdirSync(join(volume, "a", "b"), { recursive: true });
    writeFileSync(join(volume, "a", "b", "f"), "inside");
    const source = await subPathSource(volume, "a/b", target(0));
    expect(source).toBe(targetPath(0));
    expect(mountsAt(source)).toBe(1);
    expect(statSync(source).ino).toBe(statSync(join(volume, "a", "b")).ino);
    expect(readFileSync(join(source, "f"), "utf8")).toBe("inside");
  });

  it("binds a file subPath onto a file target", async () => {
    writeFileSync(join(volume, "conf.txt"), "key=value");
    const source = await subPathSource(volume, "conf.txt", target(1));
    expect(lstatSync(source).isFile()).toBe(true);
    expect(readFileSync(source, "utf8")).toBe("key=value");
  });

  it("refuses a component that is a symlink to / or out of the volume, and mounts nothing", async () => {
    symlinkSync("/", join(volume, "root"));
    symlinkSync(outside, join(volume, "out"));
    await expect(subPathSource(volume, "root/etc", target(2))).rejects.toThrow(/leaves its volume/);
    await expect(subPathSource(volume, "root", target(2))).rejects.toThrow(/leaves its volume/);
    await expect(subPathSource(volume, "out/d", target(2))).rejects.toThrow(/leaves its volume/);
    await expect(subPathSource(volume, "../x", target(2))).rejects.toThrow(/relative path without '\.\.'/);
    expect(existsSync(targetPath(2))).toBe(false);
  });

  it("creates a missing chain inside the volume only, with the volume's mode", async () => {
    const source = await subPathSource(volume, "new/x/y", target(3));
    expect(statSync(join(volume, "new", "x", "y")).isDirectory()).toBe(true);
    expect(statSync(join(volume, "new", "x")).mode & 0o777).toBe(0o777);
    expect(statSync(source).ino).toBe(statSync(join(volume, "new", "x", "y")).ino);
    await expect(subPathSource(volume, "out/made/here", target(4))).rejects.toThrow(/leaves its volume/);
    expect(existsSync(join(outside, "made"))).toBe(false);
  });

  it("refuses a symlink met during the walk, even one pointing inside (a swap after the check)", async () => {
    symlinkSync(join(volume, "a"), join(volume, "inner"));
    await expect(openBeneath(volume, "inner/b")).rejects.toThrow(/changed while it was opened/);
    await expect(openBeneath(volume, "inner")).rejects.toThrow(/is a symlink/);
    const handle = await openBeneath(volume, "a/b");
    expect((await handle.stat()).ino).toBe(statSync(join(volume, "a", "b")).ino);
    await handle.close();
  });

  it("keeps the bind on the original directory after a component is swapped for a symlink out", async () => {
    mkdirSync(join(volume, "r", "d"), { recursive: true });
    writeFileSync(join(volume, "r", "d", "mine"), "pod");
    const source = await subPathSource(volume, "r/d", target(5));
    // What a container sharing the volume can do between the agent's check and Docker's mount.
    renameSync(join(volume, "r"), join(volume, "r-moved"));
    symlinkSync(outside, join(volume, "r"));
    expect(readdirSync(source)).toEqual(["mine"]);
  });

  it("mounts the opened object even when the path is swapped between the walk and the mount", async () => {
    mkdirSync(join(volume, "w", "d"), { recursive: true });
    writeFileSync(join(volume, "w", "d", "walked"), "pod");
    const handle = await openBeneath(volume, "w/d");
    try {
      renameSync(join(volume, "w"), join(volume, "w-moved"));
      symlinkSync(outside, join(volume, "w"));
      expect(readdirSync(await bindOpened(handle, target(6), "w/d"))).toEqual(["walked"]);
    } finally {
      await handle.close();
    }
  });

  it.skipIf(!HAVE_DOCKER)("gives Docker the bound object, not the swapped path", async () => {
    const image = await ensureBusyboxImage();
    const { stdout } = await run("docker", ["run", "--rm", "-v", `${targetPath(5)}:/d:ro`, image, "ls", "/d"], { timeout: 60_000 });
    expect(stdout.trim()).toBe("mine");
  });

  it("keeps the mount for a restart on the same object and remounts once it changed", async () => {
    expect(await subPathSource(volume, "a/b", target(0))).toBe(targetPath(0));
    expect(mountsAt(targetPath(0))).toBe(1);
    rmSync(join(volume, "a", "b"), { recursive: true });
    mkdirSync(join(volume, "a", "b"));
    writeFileSync(join(volume, "a", "b", "g"), "new");
    await subPathSource(volume, "a/b", target(0));
    expect(mountsAt(targetPath(0))).toBe(1);
    expect(readdirSync(targetPath(0))).toEqual(["g"]);
  });

  it("unmounts every bind on cleanup before removing the pod, leaving a hostPath volume's data", async () => {
    const source = await subPathSource(hostVolume, "kept", target(0, "h"));
    expect(mountsAt(source)).toBe(1);
    await cleanupPodVolumes(dataDir, uid);
    for (const index of [0, 1, 3, 5, 6]) expect(mountsAt(targetPath(index))).toBe(0);
    expect(mountsAt(source)).toBe(0);
    expect(existsSync(pod)).toBe(false);
    expect(readFileSync(join(hostVolume, "kept", "data"), "utf8")).toBe("pv");
    expect(readFileSync(join(outside, "d", "node-secret"), "utf8")).toBe("host");
  });
});
