// A pod's volumes on the node, under <dataDir>/pods/<uid>/volumes/<plugin>/<name> as kubelet
// lays them out: emptyDir, hostPath (with its type checks), configMap/secret files (atomic
// updates), downwardAPI, and claims resolved to their PV (hostPath, local, NFS via mount).
// subPaths are bind-mounted under <pod>/volume-subpaths (subpath.ts).
import { chmod, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { isNotFound, type ApiClient } from "../api-client";
import { configMapData, secretData } from "../kubelet/env";
import type { ConfigMap, Container, KeyToPath, Pod, Secret, Volume } from "../kubelet/types";
import { validPayloadPath, writeAtomically, type PayloadFile } from "./atomic-writer";
import { isMountPoint, mount, unmount, VolumeError } from "./mounts";
import { cleanupSubPaths, subPathSource } from "./subpath";

export { VolumeError } from "./mounts";
export { subPathSource } from "./subpath";

const DEFAULT_FILE_MODE = 0o644;
const SECRET_PLUGIN = "kubernetes.io~secret";
/**
 * A Secret volume's tmpfs: a Secret holds at most 1 MiB, and an update writes the new files
 * beside the old before the swap; tmpfs takes memory only for what is written.
 */
const SECRET_TMPFS_SIZE = "4m";

export interface VolumeContext {
  api: ApiClient;
  dataDir: string;
  nodeName: string;
  pod: Pod;
  configMaps: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
  /** Where the machine's filesystem is: "/" on a real node, a directory for a hollow one. */
  hostRoot?: string;
}

/** A hostPath or local path on this node's filesystem; with a hostRoot, never outside it. */
function onHost(ctx: VolumeContext, path: string): string {
  if (!ctx.hostRoot) return path;
  const root = resolve(ctx.hostRoot);
  const inside = resolve(root, `.${resolve("/", path)}`);
  if (inside !== root && !inside.startsWith(root + sep)) throw new VolumeError("FailedMount", `hostPath ${path} leaves the node's filesystem`);
  return inside;
}

interface PersistentVolume {
  metadata: { name: string };
  spec?: {
    hostPath?: { path: string; type?: string };
    local?: { path: string };
    nfs?: { server: string; path: string; readOnly?: boolean };
    mountOptions?: string[];
  };
}
interface PersistentVolumeClaim {
  spec?: { volumeName?: string };
  status?: { phase?: string };
}

export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, "pods", uid);
}

function volumeDir(ctx: VolumeContext, plugin: string, name: string): string {
  return join(podDir(ctx.dataDir, ctx.pod.metadata.uid ?? ""), "volumes", plugin, name);
}

/** Files of a configMap/secret volume: every key, or just `items` (key → path, mode). */
export function projectKeys(data: Record<string, string>, items: KeyToPath[] | undefined, defaultMode: number | undefined, source: string): Map<string, PayloadFile> {
  const mode = defaultMode ?? DEFAULT_FILE_MODE;
  const payload = new Map<string, PayloadFile>();
  if (!items || items.length === 0) {
    for (const [key, value] of Object.entries(data)) payload.set(key, { content: Buffer.from(value), mode });
    return payload;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) throw new VolumeError("FailedMount", `configuration key "${item.key}" not found in ${source}`);
    if (!validPayloadPath(item.path)) throw new VolumeError("FailedMount", `invalid path "${item.path}" for key "${item.key}"`);
    payload.set(item.path, { content: Buffer.from(value), mode: item.mode ?? mode });
  }
  return payload;
}

async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  switch (type ?? "") {
    case "":
      return;
    case "DirectoryOrCreate":
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!info.isDirectory()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a directory`);
      return;
    case "FileOrCreate":
      if (!info) {
        await mkdir(join(path, ".."), { recursive: true });
        await (await open(path, "a", 0o644)).close();
      } else if (!info.isFile()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a file`);
      return;
    case "Directory":
      if (!info?.isDirectory()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a directory`);
      return;
    case "File":
      if (!info?.isFile()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a file`);
      return;
    case "Socket":
      if (!info?.isSocket()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a socket file`);
      return;
    case "CharDevice":
      if (!info?.isCharacterDevice()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a character device`);
      return;
    case "BlockDevice":
      if (!info?.isBlockDevice()) throw new VolumeError("FailedMount", `hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new VolumeError("FailedMount", `hostPath type ${type} is not supported`);
  }
}

/**
 * As kubelet does, a Secret volume is a tmpfs: its files live in memory only, never on the node's
 * disk. A hollow node (a directory standing in for the machine) keeps them on disk, and so does a
 * pod whose volume an older agent already wrote there: its running containers have that
 * directory bound, and a tmpfs over it would hide the updates from them.
 */
async function memoryBacked(ctx: VolumeContext, dir: string, name: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (ctx.hostRoot || (await isMountPoint(dir)) || (await readdir(dir)).length > 0) return;
  await mount(["-t", "tmpfs", "-o", `mode=0755,size=${SECRET_TMPFS_SIZE}`, "tmpfs", dir], "FailedMount", `MountVolume.SetUp failed for volume "${name}": mount -t tmpfs failed`);
}

async function mountNfs(ctx: VolumeContext, name: string, nfs: { server: string; path: string; readOnly?: boolean }, options: string[] | undefined): Promise<string> {
  const dir = volumeDir(ctx, "kubernetes.io~nfs", name);
  await mkdir(dir, { recursive: true });
  if (await isMountPoint(dir)) return dir;
  const opts = [...(options ?? []), ...(nfs.readOnly ? ["ro"] : [])];
  const args = ["-t", "nfs", ...(opts.length ? ["-o", opts.join(",")] : []), `${nfs.server}:${nfs.path}`, dir];
  await mount(args, "FailedMount", `MountVolume.SetUp failed for volume "${name}": mount -t nfs ${nfs.server}:${nfs.path} failed`);
  return dir;
}

async function claimPath(ctx: VolumeContext, volume: Volume, claimName: string): Promise<string> {
  const ns = ctx.pod.metadata.namespace ?? "default";
  let pvc: PersistentVolumeClaim;
  try {
    pvc = await ctx.api.get<PersistentVolumeClaim>(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName}`);
  } catch (error) {
    // Only a 404 is "not found"; an API that did not answer is a failed sync, retried as one.
    if (isNotFound(error)) throw new VolumeError("FailedMount", `persistentvolumeclaim "${claimName}" not found`);
    throw error;
  }
  const pvName = pvc.spec?.volumeName;
  if (!pvName || pvc.status?.phase !== "Bound") throw new VolumeError("FailedMount", `persistentvolumeclaim "${claimName}" is not bound yet`);
  const pv = await ctx.api.get<PersistentVolume>(`/api/v1/persistentvolumes/${pvName}`);
  const spec = pv.spec ?? {};
  if (spec.hostPath) {
    const path = onHost(ctx, spec.hostPath.path);
    await checkHostPath(path, spec.hostPath.type === undefined || spec.hostPath.type === "" ? "DirectoryOrCreate" : spec.hostPath.type);
    return path;
  }
  if (spec.local) {
    const path = onHost(ctx, spec.local.path);
    await mkdir(path, { recursive: true });
    return path;
  }
  if (spec.nfs) return mountNfs(ctx, volume.name, spec.nfs, spec.mountOptions);
  throw new VolumeError("FailedMount", `persistentvolume "${pvName}" has a volume source this node cannot mount`);
}

async function setUp(ctx: VolumeContext, volume: Volume): Promise<string | undefined> {
  const ns = ctx.pod.metadata.namespace ?? "default";
  if (volume.emptyDir) {
    const dir = volumeDir(ctx, "kubernetes.io~empty-dir", volume.name);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    return dir;
  }
  if (volume.hostPath) {
    const path = onHost(ctx, volume.hostPath.path);
    await checkHostPath(path, volume.hostPath.type);
    return path;
  }
  if (volume.configMap) {
    const source = volume.configMap;
    const cm = ctx.configMaps.get(source.name);
    if (!cm && !source.optional) throw new VolumeError("FailedMount", `MountVolume.SetUp failed for volume "${volume.name}" : configmap "${source.name}" not found`);
    const payload = projectKeys(cm ? configMapData(cm) : {}, source.items, source.defaultMode, `ConfigMap ${ns}/${source.name}`);
    const dir = volumeDir(ctx, "kubernetes.io~configmap", volume.name);
    await writeAtomically(dir, payload);
    return dir;
  }
  if (volume.secret) {
    const source = volume.secret;
    const secret = ctx.secrets.get(source.secretName);
    if (!secret && !source.optional) throw new VolumeError("FailedMount", `MountVolume.SetUp failed for volume "${volume.name}" : secret "${source.secretName}" not found`);
    const payload = projectKeys(secret ? secretData(secret) : {}, source.items, source.defaultMode, `Secret ${ns}/${source.secretName}`);
    const dir = volumeDir(ctx, SECRET_PLUGIN, volume.name);
    await memoryBacked(ctx, dir, volume.name);
    await writeAtomically(dir, payload);
    return dir;
  }
  if (volume.downwardAPI) {
    const meta = ctx.pod.metadata;
    const fields: Record<string, string> = {
      "metadata.name": meta.name,
      "metadata.namespace": ns,
      "metadata.uid": meta.uid ?? "",
      "metadata.labels": Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join("\n"),
      "metadata.annotations": Object.entries(meta.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join("\n"),
    };
    const payload = new Map<string, PayloadFile>();
    for (const item of volume.downwardAPI.items ?? []) {
      const value = item.fieldRef ? fields[item.fieldRef.fieldPath] : undefined;
      if (value !== undefined && validPayloadPath(item.path)) payload.set(item.path, { content: Buffer.from(value), mode: item.mode ?? volume.downwardAPI.defaultMode ?? DEFAULT_FILE_MODE });
    }
    const dir = volumeDir(ctx, "kubernetes.io~downward-api", volume.name);
    await writeAtomically(dir, payload);
    return dir;
  }
  if (volume.persistentVolumeClaim) return claimPath(ctx, volume, volume.persistentVolumeClaim.claimName);
  return undefined;
}

/** Sets up (or refreshes) every volume; volume name → host path. Throws VolumeError. */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const volume of ctx.pod.spec.volumes ?? []) {
    const path = await setUp(ctx, volume);
    if (path !== undefined) paths.set(volume.name, path);
  }
  return paths;
}

/** Where a pod's subPaths are bind-mounted; a hollow node (hostRoot) mounts nothing. */
export interface SubPathHost {
  dataDir: string;
  uid: string;
  hostRoot?: string;
}

/** Docker binds for a container's volumeMounts. A subPath's source is its bind target (see subpath.ts). */
export async function bindsFor(container: Container, paths: Map<string, string>, readOnlyVolumes: Set<string>, host: SubPathHost): Promise<string[]> {
  const binds: string[] = [];
  for (const [index, volumeMount] of (container.volumeMounts ?? []).entries()) {
    const volumePath = paths.get(volumeMount.name);
    if (volumePath === undefined) continue;
    const target = host.hostRoot ? undefined : { podDir: podDir(host.dataDir, host.uid), volumeName: volumeMount.name, containerName: container.name, index };
    const source = volumeMount.subPath ? await subPathSource(volumePath, volumeMount.subPath, target) : volumePath;
    const ro = volumeMount.readOnly || readOnlyVolumes.has(volumeMount.name);
    binds.push(`${source}:${volumeMount.mountPath}${ro ? ":ro" : ""}`);
  }
  return binds;
}

/** Unmounts what the pod mounted (subPath binds, NFS shares, Secret tmpfs) and removes its directory (PV data outside it stays). */
export async function cleanupPodVolumes(dataDir: string, uid: string): Promise<void> {
  const dir = podDir(dataDir, uid);
  // subPath binds first, as kubelet's CleanSubPaths: they may hold a subdirectory of an NFS share below.
  await cleanupSubPaths(dir);
  for (const plugin of ["kubernetes.io~nfs", SECRET_PLUGIN]) {
    const root = join(dir, "volumes", plugin);
    const entries = await readdir(root).catch(() => [] as string[]);
    // unmount() throws while a share stays mounted: recursing into it would delete the server's data.
    for (const entry of entries) await unmount(join(root, entry));
  }
  await rm(dir, { recursive: true, force: true });
}
