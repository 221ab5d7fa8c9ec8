// mount(8) and umount(8) as the agent runs them for volumes (Secret tmpfs, NFS claims, subPath
// binds), and VolumeError, the error a volume fails with (its reason becomes the Event's reason).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const MOUNT_TIMEOUT_MS = 30_000;
/** Mounts stacked on one target that unmount() takes off before it gives up. */
const MAX_STACKED_MOUNTS = 8;

export class VolumeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function isMountPoint(path: string): Promise<boolean> {
  try {
    await run("mountpoint", ["-q", path], { timeout: MOUNT_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/** Runs mount(8); a failure is a VolumeError `<context>: <mount's stderr>`. */
export async function mount(args: string[], reason: string, context: string): Promise<void> {
  try {
    await run("mount", args, { timeout: MOUNT_TIMEOUT_MS });
  } catch (error) {
    const detail = error instanceof Error && "stderr" in error ? String((error as { stderr: unknown }).stderr).trim() : String(error);
    throw new VolumeError(reason, `${context}: ${detail}`);
  }
}

/**
 * Lazily unmounts everything mounted on `target`. Throws while it is still a mount point: a
 * caller must never remove (recursively) what would then be the mounted filesystem's data.
 */
export async function unmount(target: string): Promise<void> {
  for (let i = 0; i < MAX_STACKED_MOUNTS && (await isMountPoint(target)); i++) {
    await run("umount", ["-l", target], { timeout: MOUNT_TIMEOUT_MS }).catch(() => undefined);
  }
  if (await isMountPoint(target)) throw new VolumeError("FailedUnmount", `${target} is still mounted`);
}
