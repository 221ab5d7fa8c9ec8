// A container's environment, resolved as kubelet's makeEnvironmentVariables does: envFrom first
// (with prefix), then env (later wins), $(VAR) expanded against what is defined so far.
import type { ConfigMap, Container, EnvVar, Pod, Secret } from "./types";

export interface EnvContext {
  pod: Pod;
  podIP: string;
  hostIP: string;
  nodeName: string;
  /** Objects fetched beforehand; a missing name is an absent object. */
  configMaps: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
}

export interface ResolvedEnv {
  env: { name: string; value: string }[];
  /** Non-empty: kubelet's CreateContainerConfigError, with this message. */
  error?: string;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** $(VAR) → value when defined, $$ → $, anything else kept: kubelet's expansion.Expand. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === "$" && i + 1 < input.length) {
      const next = input[i + 1];
      if (next === "$") {
        out += "$";
        i++;
        continue;
      }
      if (next === "(") {
        const close = input.indexOf(")", i + 2);
        if (close > 0) {
          const name = input.slice(i + 2, close);
          const value = lookup(name);
          out += value ?? `$(${name})`;
          i = close;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

export function configMapData(cm: ConfigMap): Record<string, string> {
  const out: Record<string, string> = { ...(cm.data ?? {}) };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return out;
}

export function secretData(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

function fieldValue(path: string, ctx: EnvContext): string | undefined {
  const { pod } = ctx;
  switch (path) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace ?? "default";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "spec.nodeName":
      return pod.spec.nodeName ?? ctx.nodeName;
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "default";
    case "status.podIP":
      return ctx.podIP;
    case "status.podIPs":
      return ctx.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return ctx.hostIP;
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.metadata.labels?.[label[1] as string] ?? "";
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation) return pod.metadata.annotations?.[annotation[1] as string] ?? "";
  return undefined;
}

function valueOf(variable: EnvVar, ctx: EnvContext): { value?: string; error?: string } {
  const from = variable.valueFrom;
  if (!from) return { value: variable.value ?? "" };
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = ctx.configMaps.get(ref.name ?? "");
    if (!cm) return ref.optional ? {} : { error: `configmap "${ref.name}" not found` };
    const value = configMapData(cm)[ref.key];
    if (value === undefined) return ref.optional ? {} : { error: `couldn't find key ${ref.key} in ConfigMap ${ctx.pod.metadata.namespace}/${ref.name}` };
    return { value };
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const secret = ctx.secrets.get(ref.name ?? "");
    if (!secret) return ref.optional ? {} : { error: `secret "${ref.name}" not found` };
    const value = secretData(secret)[ref.key];
    if (value === undefined) return ref.optional ? {} : { error: `couldn't find key ${ref.key} in Secret ${ctx.pod.metadata.namespace}/${ref.name}` };
    return { value };
  }
  if (from.fieldRef) {
    const value = fieldValue(from.fieldRef.fieldPath, ctx);
    return value === undefined ? { error: `unsupported fieldPath ${from.fieldRef.fieldPath}` } : { value };
  }
  if (from.resourceFieldRef) return { value: "0" };
  return { value: "" };
}

export function resolveEnv(container: Container, ctx: EnvContext): ResolvedEnv {
  const values = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? "";
    let data: Record<string, string> | undefined;
    if (source.configMapRef) {
      const cm = ctx.configMaps.get(source.configMapRef.name);
      if (!cm && !source.configMapRef.optional) return { env: [], error: `configmap "${source.configMapRef.name}" not found` };
      data = cm ? configMapData(cm) : undefined;
    } else if (source.secretRef) {
      const secret = ctx.secrets.get(source.secretRef.name);
      if (!secret && !source.secretRef.optional) return { env: [], error: `secret "${source.secretRef.name}" not found` };
      data = secret ? secretData(secret) : undefined;
    }
    for (const [key, value] of Object.entries(data ?? {})) {
      if (ENV_NAME.test(prefix + key)) values.set(prefix + key, value);
    }
  }
  for (const variable of container.env ?? []) {
    const { value, error } = valueOf(variable, ctx);
    if (error) return { env: [], error };
    if (value === undefined) continue; // an optional reference to something absent
    const expanded = variable.valueFrom ? value : expand(value, (name) => values.get(name));
    values.set(variable.name, expanded);
  }
  return { env: [...values].map(([name, value]) => ({ name, value })) };
}

/** ConfigMaps and Secrets a pod's env, envFrom and volumes name, for fetching before a sync. */
export function referencedObjects(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef) configMaps.add(f.configMapRef.name);
      if (f.secretRef) secrets.add(f.secretRef.name);
    }
  }
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap) configMaps.add(v.configMap.name);
    if (v.secret) secrets.add(v.secret.secretName);
  }
  for (const s of pod.spec.imagePullSecrets ?? []) secrets.add(s.name);
  return { configMaps, secrets };
}
