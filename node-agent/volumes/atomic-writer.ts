// kubelet's AtomicWriter in small: files go into a fresh `..<digest>` directory, `..data` is
// swapped to it with one rename of a symlink, and each visible name is a symlink through `..data`,
// so a container never sees half an update. An unchanged payload touches nothing.
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface PayloadFile {
  content: Buffer;
  mode: number;
}

const DATA_DIR = "..data";
const DATA_TMP = "..data_tmp";

export function payloadDigest(payload: Map<string, PayloadFile>): string {
  const hash = createHash("sha256");
  for (const [path, file] of [...payload].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(path).update("\0").update(String(file.mode)).update("\0").update(file.content).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** A payload path must stay inside the volume: relative, no `..` element (kubelet validates the same). */
export function validPayloadPath(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !path.split("/").some((p) => p === ".." || p === "") && !path.startsWith("..");
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `payload` into `dir`; returns whether anything changed. */
export async function writeAtomically(dir: string, payload: Map<string, PayloadFile>): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const version = `..${payloadDigest(payload)}`;
  const current = await readlink(join(dir, DATA_DIR)).catch(() => undefined);
  if (current === version) return false;
  const versionDir = join(dir, version);
  await rm(versionDir, { recursive: true, force: true });
  await mkdir(versionDir, { recursive: true, mode: 0o755 });
  for (const [path, file] of payload) {
    const target = join(versionDir, path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, file.content, { mode: file.mode });
    await chmod(target, file.mode);
  }
  await rm(join(dir, DATA_TMP), { force: true });
  await symlink(version, join(dir, DATA_TMP));
  await rename(join(dir, DATA_TMP), join(dir, DATA_DIR));
  // Top-level names visible to the container: one symlink each, through ..data.
  const wanted = new Set([...payload.keys()].map((p) => p.split("/")[0] as string));
  for (const name of wanted) {
    const link = join(dir, name);
    if (!(await exists(link))) await symlink(join(DATA_DIR, name), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith("..")) {
      if (entry !== DATA_DIR && entry !== version) await rm(join(dir, entry), { recursive: true, force: true });
    } else if (!wanted.has(entry)) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  return true;
}
