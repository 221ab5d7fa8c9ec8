// A volumeMount's subPath, made safe as kubelet's subpath_linux.go does (doSafeMakeDir, doSafeOpen,
// doBindSubPath): symlinks are resolved once and must stay in the volume, then each component is
// opened relative to its parent's fd without following symlinks, and the opened object (not its
// path) is bind-mounted onto an agent-owned target that Docker is given. A symlink a container
// swaps in after the check fails the walk; one swapped in after the mount changes nothing.
import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, realpath, rmdir, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { mount, unmount, VolumeError } from "./mounts";

/**
 * Linux O_PATH (fs.constants lacks it; Node passes numeric flags through to open(2)): the fd names
 * the object without opening it, so a FIFO or device planted in the volume cannot hang or trigger.
 */
const O_PATH = 0o10000000;
/** With O_PATH, O_NOFOLLOW on a final symlink opens the link itself, so fstat must refuse it too. */
const WALK_FLAGS = O_PATH | constants.O_NOFOLLOW;
/** kubelet's layout: <podDir>/volume-subpaths/<volume>/<container>/<volumeMount index>. */
const SUBPATHS_DIR = "volume-subpaths";
const TARGET_DIR_MODE = 0o750;
const TARGET_FILE_MODE = 0o640;

export interface SubPathTarget {
  /** <dataDir>/pods/<uid> */
  podDir: string;
  volumeName: string;
  containerName: string;
  /** The volumeMount's index in the container's list. */
  index: number;
}

function refuse(subPath: string, why: string): never {
  throw new VolumeError("CreateContainerConfigError", `subPath "${subPath}" ${why}`);
}

/** `path` is `root` or below it (also right for root "/", a hostPath volume of the whole node). */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function segmentsOf(path: string): string[] {
  return path.split(sep).filter((s) => s !== "" && s !== ".");
}

function ignoreExists(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
}

/** A name relative to an open directory: Node has no openat, the fd's magic link stands in for it. */
function beneath(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/**
 * Opens `rel` under the directory `root` one component at a time (kubelet's doSafeOpen), each
 * relative to the fd of the one before and never through a symlink. The caller closes the handle.
 */
export async function openBeneath(root: string, rel: string, subPath = rel): Promise<FileHandle> {
  let handle = await open(root, WALK_FLAGS | constants.O_DIRECTORY);
  try {
    const segments = segmentsOf(rel);
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      const child = await open(beneath(handle, segment), WALK_FLAGS | (last ? 0 : constants.O_DIRECTORY)).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        return refuse(subPath, `changed while it was opened: ${segments.slice(0, i + 1).join("/")} is no longer a directory inside the volume (${code})`);
      });
      await handle.close();
      handle = child;
      if ((await handle.stat()).isSymbolicLink()) refuse(subPath, `changed while it was opened: ${segments.slice(0, i + 1).join("/")} is a symlink`);
    }
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Creates the missing tail of `segments` (kubelet's doSafeMakeDir): the existing prefix must
 * resolve inside the volume, then each directory is made with mkdir relative to its opened parent
 * and opened without following symlinks. Mode is the volume root's, as kubelet gives it.
 */
async function makeDirs(root: string, segments: string[], subPath: string): Promise<void> {
  let existing = 0;
  while (existing < segments.length && (await stat(join(root, ...segments.slice(0, existing + 1))).catch(() => undefined))) existing++;
  if (existing === segments.length) return;
  const prefix = await realpath(join(root, ...segments.slice(0, existing)));
  if (!inside(root, prefix)) refuse(subPath, "leaves its volume");
  const mode = (await stat(root)).mode & 0o7777;
  let parent = await openBeneath(root, relative(root, prefix), subPath);
  try {
    for (const segment of segments.slice(existing)) {
      await mkdir(beneath(parent, segment), mode).catch(ignoreExists);
      const child = await open(beneath(parent, segment), WALK_FLAGS | constants.O_DIRECTORY).catch(() => refuse(subPath, `changed while it was created: ${segment} is not a directory`));
      await parent.close();
      parent = child;
      // mkdir's mode went through the umask; chmod through the fd reaches the directory just made.
      await chmod(`/proc/self/fd/${parent.fd}`, mode);
    }
  } finally {
    await parent.close();
  }
}

/**
 * Bind-mounts the opened subPath (the object `handle` holds, wherever its path now leads) onto its
 * kubelet-style target, unless the target already holds that object. Returns the target.
 */
export async function bindOpened(handle: FileHandle, target: SubPathTarget, subPath: string): Promise<string> {
  const path = join(target.podDir, SUBPATHS_DIR, target.volumeName, target.containerName, String(target.index));
  const object = await handle.stat();
  const current = await lstat(path).catch(() => undefined);
  // An earlier start of this container mounted this very object: keep it (kubelet's prepareSubpathTarget).
  if (current && current.dev === object.dev && current.ino === object.ino) return path;
  if (current) await unmount(path);
  const under = current && (await lstat(path).catch(() => undefined));
  const isDir = object.isDirectory();
  if (under && under.isDirectory() !== isDir) await (under.isDirectory() ? rmdir(path) : unlink(path));
  await mkdir(dirname(path), { recursive: true, mode: TARGET_DIR_MODE });
  // A file target takes any non-directory (file, socket, device): the bind gives it the source's type.
  if (isDir) await mkdir(path, TARGET_DIR_MODE).catch(ignoreExists);
  else await writeFile(path, "", { mode: TARGET_FILE_MODE, flag: "a" });
  // /proc/<pid>, not /proc/self: mount(8) is another process. --no-canonicalize: otherwise mount(8)
  // resolves the magic link to a path string and reopens the race this closes.
  await mount(["--no-canonicalize", "--bind", `/proc/${process.pid}/fd/${handle.fd}`, path], "CreateContainerConfigError", `subPath "${subPath}": bind mount onto ${path} failed`);
  return path;
}

/**
 * The host path Docker binds for `subPath` of the volume at `volumeDir`, creating missing
 * directories inside it. With a target, the opened subPath is bind-mounted there and the target is
 * returned; without one (a hollow node, whose runtime mounts nothing) the checked path is.
 */
export async function subPathSource(volumeDir: string, subPath: string, target?: SubPathTarget): Promise<string> {
  if (isAbsolute(subPath) || subPath.split("/").includes("..")) refuse(subPath, "must be a relative path without '..'");
  try {
    const root = await realpath(volumeDir);
    const wanted = segmentsOf(subPath);
    await makeDirs(root, wanted, subPath);
    // Symlinks are resolved once (a configMap key is a link into ..data); the result must stay inside.
    const resolved = await realpath(join(root, ...wanted));
    if (!inside(root, resolved)) refuse(subPath, "leaves its volume");
    const handle = await openBeneath(root, relative(root, resolved), subPath);
    try {
      return target ? await bindOpened(handle, target, subPath) : resolved;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof VolumeError) throw error;
    refuse(subPath, `cannot be prepared: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Unmounts every subPath bind of a pod (kubelet's CleanSubPaths); throws while one stays mounted. */
export async function cleanupSubPaths(podDir: string): Promise<void> {
  const base = join(podDir, SUBPATHS_DIR);
  for (const volume of await entries(base)) {
    for (const container of await entries(join(base, volume))) {
      for (const index of await entries(join(base, volume, container))) await unmount(join(base, volume, container, index));
    }
  }
}
