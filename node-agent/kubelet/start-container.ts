// Starting one container of a pod, as kubelet's startContainer: pull per imagePullPolicy (with
// the pod's imagePullSecrets), resolve env, create with labels and binds, start; each failure
// becomes a waiting reason (ErrImagePull, CreateContainerConfigError…) and an Event, not a throw.
import { containerSecurity, runAsNonRootError } from "./security-context";
import { ImageNeverPullError, ImagePullError, type RegistryAuth } from "../runtime/types";
import { bindsFor } from "../volumes/volumes";
import { dockerCommand, resourceLimits } from "./command";
import type { KubeletContext } from "./context";
import { resolveEnv, secretData } from "./env";
import type { ConfigMap, Container, Pod, Secret } from "./types";

export interface StartInputs {
  pod: Pod;
  container: Container;
  init: boolean;
  restartCount: number;
  sandboxId: string;
  podIP: string;
  volumePaths: Map<string, string>;
  /** Binds every container of the pod gets (its resolv.conf). */
  extraBinds?: string[];
  configMaps: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
  /**
   * The sandbox's start, when it is still under way: the container is created meanwhile and
   * started after it. If the sandbox fails to start, the container is removed again.
   */
  sandboxStarted?: Promise<void>;
}

export type StartResult = { ok: true; id: string } | { ok: false; reason: string; message: string; pullFailed?: boolean };

export function fieldPathOf(container: Container, init: boolean): string {
  return `spec.${init ? "initContainers" : "containers"}{${container.name}}`;
}

/** Registry credentials from the pod's kubernetes.io/dockerconfigjson (or .dockercfg) Secrets. */
export function registryAuths(pod: Pod, secrets: Map<string, Secret>): RegistryAuth[] {
  const auths: RegistryAuth[] = [];
  for (const ref of pod.spec.imagePullSecrets ?? []) {
    const secret = secrets.get(ref.name);
    if (!secret) continue;
    const data = secretData(secret);
    const raw = data[".dockerconfigjson"] ?? data[".dockercfg"];
    if (!raw) continue;
    try {
      const parsed = JSON.parse(raw) as { auths?: Record<string, { username?: string; password?: string; auth?: string }> } & Record<string, unknown>;
      const entries = (parsed.auths ?? parsed) as Record<string, { username?: string; password?: string; auth?: string }>;
      for (const [server, entry] of Object.entries(entries)) {
        let { username, password } = entry;
        if ((!username || !password) && entry.auth) {
          const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
          const colon = decoded.indexOf(":");
          username = decoded.slice(0, colon);
          password = decoded.slice(colon + 1);
        }
        const host = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
        auths.push({ username, password, serveraddress: host === "index.docker.io" ? "docker.io" : host });
      }
    } catch {
      // a malformed Secret gives no credentials; the pull then fails with the registry's message
    }
  }
  return auths;
}

export function pullPolicyOf(container: Container): string {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const last = container.image.split("/").pop() ?? "";
  const tagged = last.includes(":") || last.includes("@");
  return !tagged || last.endsWith(":latest") ? "Always" : "IfNotPresent";
}

export async function startContainer(ctx: KubeletContext, input: StartInputs, fieldPath: string): Promise<StartResult> {
  const { pod, container } = input;
  const record = (type: "Normal" | "Warning", reason: string, message: string) => ctx.events.record(pod, type, reason, message, fieldPath);
  const policy = pullPolicyOf(container);
  const began = Date.now();
  try {
    const present = (await ctx.runtime.imageId(container.image)) !== undefined;
    if (policy === "Always" || !present) record("Normal", "Pulling", `Pulling image "${container.image}"`);
    const pulled = await ctx.runtime.ensureImage(container.image, policy, registryAuths(pod, input.secrets), present);
    if (pulled) record("Normal", "Pulled", `Successfully pulled image "${container.image}" in ${Date.now() - began}ms`);
    else record("Normal", "Pulled", `Container image "${container.image}" already present on machine`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ImageNeverPullError) {
      record("Warning", "ErrImageNeverPull", message);
      return { ok: false, reason: "ErrImageNeverPull", message };
    }
    if (error instanceof ImagePullError) {
      record("Warning", "Failed", message);
      record("Warning", "Failed", "Error: ErrImagePull");
      return { ok: false, reason: "ErrImagePull", message, pullFailed: true };
    }
    throw error;
  }
  const env = resolveEnv(container, {
    pod,
    podIP: input.podIP,
    hostIP: ctx.hostIP(),
    nodeName: ctx.nodeName,
    configMaps: input.configMaps,
    secrets: input.secrets,
  });
  if (env.error) {
    record("Warning", "Failed", `Error: ${env.error}`);
    return { ok: false, reason: "CreateContainerConfigError", message: env.error };
  }
  const imageUser = (await ctx.runtime.imageUser(container.image)) ?? "";
  const nonRoot = runAsNonRootError(pod, container, imageUser);
  if (nonRoot) {
    record("Warning", "Failed", `Error: ${nonRoot}`);
    return { ok: false, reason: "CreateContainerConfigError", message: nonRoot };
  }
  const security = containerSecurity(pod, container, imageUser);
  const command = dockerCommand(container, env.env);
  const limits = resourceLimits(container);
  const readOnly = new Set((pod.spec.volumes ?? []).filter((v) => v.persistentVolumeClaim?.readOnly).map((v) => v.name));
  let id: string;
  try {
    id = await ctx.runtime.createContainer({
      pod: { namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name, uid: pod.metadata.uid ?? "" },
      name: container.name,
      init: input.init,
      restartCount: input.restartCount,
      sandboxId: input.sandboxId,
      image: container.image,
      entrypoint: command.entrypoint,
      cmd: command.cmd,
      env: env.env.map((e) => `${e.name}=${e.value}`),
      workingDir: container.workingDir,
      binds: [...(await bindsFor(container, input.volumePaths, readOnly, { dataDir: ctx.dataDir, uid: pod.metadata.uid ?? "", hostRoot: ctx.hostRoot })), ...(input.extraBinds ?? [])],
      memoryBytes: limits.memoryBytes,
      nanoCpus: limits.nanoCpus,
      tty: container.tty ?? false,
      stdin: container.stdin ?? false,
      privileged: container.securityContext?.privileged ?? false,
      ...security,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    record("Warning", "Failed", `Error: ${message}`);
    return { ok: false, reason: "CreateContainerError", message };
  }
  record("Normal", "Created", `Created container ${container.name}`);
  if (input.sandboxStarted) {
    try {
      await input.sandboxStarted;
    } catch (error) {
      await ctx.runtime.remove(id).catch(() => undefined);
      throw error;
    }
  }
  try {
    await ctx.runtime.start(id);
  } catch (error) {
    // The container stays "created" with State.Error: the next sync reports it as StartError.
    const message = error instanceof Error ? error.message : String(error);
    record("Warning", "Failed", `Error: failed to start container "${container.name}": ${message}`);
    return { ok: true, id };
  }
  record("Normal", "Started", `Started container ${container.name}`);
  return { ok: true, id };
}
