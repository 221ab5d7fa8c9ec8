// ValidatePodSpec's most used rules (pkg/apis/core/validation), with upstream's messages
// and field paths, for Pods (`spec`) and pod templates (`spec.template.spec`) alike.
import { metadataNameCauses, dns1123LabelCauses, dns1123SubdomainCauses, duplicate, forbidden, invalid, portNameCauses, portNumCauses, required, type Cause } from "./field-errors";
import { asArray, asRecord, str, type Json } from "../../../shared/json";
import { parseQuantity } from "../../../shared/quantity";
import { VOLUME_SOURCES } from "./pod-volume-schema";

export { metadataNameCauses };

const MAX_INT32 = 2147483647;

function records(v: unknown): Json[] {
  return (asArray(v) ?? []).map((x) => asRecord(x) ?? {});
}

function probeCauses(path: string, probe: Json, mustBeOneSuccess: boolean): Cause[] {
  const causes: Cause[] = [];
  const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) causes.push(required(path, "must specify a handler type"));
  else if (handlers.length > 1) causes.push(forbidden(`${path}.${handlers[1]}`, "may not specify more than 1 handler type"));
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    const v = probe[f];
    if (typeof v === "number" && v < 0) causes.push(invalid(`${path}.${f}`, v, "must be greater than or equal to 0"));
  }
  if (mustBeOneSuccess && typeof probe.successThreshold === "number" && probe.successThreshold !== 1) {
    causes.push(invalid(`${path}.successThreshold`, probe.successThreshold, "must be 1"));
  }
  const port = asRecord(probe.httpGet)?.port ?? asRecord(probe.tcpSocket)?.port;
  if (typeof port === "number") {
    const at = probe.httpGet !== undefined ? `${path}.httpGet.port` : `${path}.tcpSocket.port`;
    causes.push(...portNumCauses(at, port));
  }
  return causes;
}

function resourceCauses(path: string, resources: Json): Cause[] {
  const causes: Cause[] = [];
  const limits = asRecord(resources.limits) ?? {};
  const requests = asRecord(resources.requests) ?? {};
  for (const [name, value] of Object.entries(requests)) {
    const limit = limits[name];
    const r = parseQuantity(value);
    const l = parseQuantity(limit);
    if (r !== undefined && l !== undefined && r > l) {
      causes.push(invalid(`${path}.requests`, String(value), `must be less than or equal to ${name} limit of ${String(limit)}`));
    }
  }
  return causes;
}

interface ContainerContext {
  names: Set<string>;
  volumes: Set<string>;
  init: boolean;
}

function containerCauses(at: string, c: Json, ctx: ContainerContext): Cause[] {
  const causes: Cause[] = [];
  const name = str(c.name) ?? "";
  if (!name) causes.push(required(`${at}.name`));
  else {
    causes.push(...dns1123LabelCauses(`${at}.name`, name));
    if (ctx.names.has(name)) causes.push(duplicate(`${at}.name`, name));
    ctx.names.add(name);
  }
  const image = str(c.image) ?? "";
  if (!image) causes.push(required(`${at}.image`));
  else if (image !== image.trim()) causes.push(invalid(`${at}.image`, image, "must not have leading or trailing whitespace"));
  if (!ctx.init && c.restartPolicy !== undefined) causes.push(forbidden(`${at}.restartPolicy`, "may not be set for non-init containers"));

  const portNames = new Set<string>();
  records(c.ports).forEach((port, j) => {
    const pAt = `${at}.ports[${j}]`;
    const pname = str(port.name);
    if (pname) {
      const bad = portNameCauses(`${pAt}.name`, pname);
      if (bad.length) causes.push(...bad);
      else if (portNames.has(pname)) causes.push(duplicate(`${pAt}.name`, pname));
      portNames.add(pname);
    }
    if (port.containerPort === undefined || port.containerPort === 0) causes.push(required(`${pAt}.containerPort`));
    else causes.push(...portNumCauses(`${pAt}.containerPort`, port.containerPort));
    if (port.hostPort !== undefined && port.hostPort !== 0) causes.push(...portNumCauses(`${pAt}.hostPort`, port.hostPort));
  });

  records(c.env).forEach((e, j) => {
    const ename = str(e.name) ?? "";
    if (!ename) causes.push(required(`${at}.env[${j}].name`));
    else if (ename.includes("=") || !/^[\x20-\x7e]+$/.test(ename)) {
      causes.push(invalid(`${at}.env[${j}].name`, ename, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
    }
  });

  const mountPaths = new Set<string>();
  records(c.volumeMounts).forEach((m, j) => {
    const mAt = `${at}.volumeMounts[${j}]`;
    const mname = str(m.name) ?? "";
    if (!mname) causes.push(required(`${mAt}.name`));
    else if (!ctx.volumes.has(mname)) causes.push({ field: `${mAt}.name`, reason: "FieldValueNotFound", message: `Not found: ${JSON.stringify(mname)}` });
    const mountPath = str(m.mountPath) ?? "";
    if (!mountPath) causes.push(required(`${mAt}.mountPath`));
    else if (mountPaths.has(mountPath)) causes.push(invalid(`${mAt}.mountPath`, mountPath, "must be unique"));
    mountPaths.add(mountPath);
    // As upstream's validateLocalDescendingPath: a subPath stays inside its volume.
    const subPath = str(m.subPath);
    if (subPath !== undefined) {
      if (subPath.startsWith("/")) causes.push(invalid(`${mAt}.subPath`, subPath, "must be a relative path"));
      else if (subPath.split("/").includes("..")) causes.push(invalid(`${mAt}.subPath`, subPath, "must not contain '..'"));
    }
  });

  const probes: [string, boolean][] = [["livenessProbe", true], ["readinessProbe", false], ["startupProbe", true]];
  for (const [key, oneSuccess] of probes) {
    const probe = asRecord(c[key]);
    if (!probe) continue;
    if (ctx.init && c.restartPolicy !== "Always") causes.push(forbidden(`${at}.${key}`, "may not be set for init containers without restartPolicy=Always"));
    else causes.push(...probeCauses(`${at}.${key}`, probe, oneSuccess));
  }
  const resources = asRecord(c.resources);
  if (resources) causes.push(...resourceCauses(`${at}.resources`, resources));
  return causes;
}

function volumeCauses(path: string, spec: Json): { causes: Cause[]; names: Set<string> } {
  const causes: Cause[] = [];
  const names = new Set<string>();
  records(spec.volumes).forEach((vol, i) => {
    const at = `${path}.volumes[${i}]`;
    const name = str(vol.name) ?? "";
    if (!name) causes.push(required(`${at}.name`));
    else {
      causes.push(...dns1123LabelCauses(`${at}.name`, name));
      if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
    }
    names.add(name);
    const sources = VOLUME_SOURCES.filter((k) => vol[k] !== undefined && vol[k] !== null);
    if (sources.length === 0) causes.push(required(at, "must specify a volume type"));
    else if (sources.length > 1) causes.push(forbidden(`${at}.${sources[1]}`, "may not specify more than 1 volume type"));
    const hostPath = asRecord(vol.hostPath);
    if (hostPath && !str(hostPath.path)) causes.push(required(`${at}.hostPath.path`));
    const pvc = asRecord(vol.persistentVolumeClaim);
    if (pvc && !str(pvc.claimName)) causes.push(required(`${at}.persistentVolumeClaim.claimName`));
    const secret = asRecord(vol.secret);
    if (secret && !str(secret.secretName)) causes.push(required(`${at}.secret.secretName`));
  });
  return { causes, names };
}

function tolerationCauses(path: string, spec: Json): Cause[] {
  const causes: Cause[] = [];
  records(spec.tolerations).forEach((t, i) => {
    const at = `${path}.tolerations[${i}]`;
    if (t.operator === "Exists" && t.value !== undefined && t.value !== "") {
      causes.push(invalid(`${at}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    }
    if (!t.key && t.operator !== "Exists") causes.push(invalid(`${at}.operator`, t.operator ?? "", "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      causes.push(invalid(`${at}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  return causes;
}

/**
 * ValidatePodSpec: `path` is where the spec sits (`spec`, `spec.template.spec`);
 * `extraVolumes` are names mounts may use besides spec.volumes (StatefulSet claim templates).
 */
export function validatePodSpec(path: string, given: Json | undefined, extraVolumes: string[] = []): Cause[] {
  // PodSpec is a struct upstream: an absent spec is an empty one, reported as missing containers.
  const spec = given ?? {};
  const { causes, names: volumes } = volumeCauses(path, spec);
  for (const v of extraVolumes) volumes.add(v);
  const names = new Set<string>();
  const containers = records(spec.containers);
  if (containers.length === 0) causes.push(required(`${path}.containers`));
  records(spec.initContainers).forEach((c, i) => causes.push(...containerCauses(`${path}.initContainers[${i}]`, c, { names, volumes, init: true })));
  containers.forEach((c, i) => causes.push(...containerCauses(`${path}.containers[${i}]`, c, { names, volumes, init: false })));
  records(spec.ephemeralContainers).forEach((c, i) => {
    const at = `${path}.ephemeralContainers[${i}]`;
    const name = str(c.name) ?? "";
    if (!name) causes.push(required(`${at}.name`));
    else if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
    names.add(name);
  });
  causes.push(...tolerationCauses(path, spec));
  const deadline = spec.activeDeadlineSeconds;
  if (typeof deadline === "number" && (deadline < 1 || deadline > MAX_INT32)) {
    causes.push(invalid(`${path}.activeDeadlineSeconds`, deadline, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  if (spec.dnsPolicy === "None" && !asRecord(spec.dnsConfig)) causes.push(required(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  for (const f of ["hostname", "subdomain"]) {
    const v = str(spec[f]);
    if (v) causes.push(...dns1123LabelCauses(`${path}.${f}`, v));
  }
  const sa = str(spec.serviceAccountName);
  if (sa) causes.push(...dns1123SubdomainCauses(`${path}.serviceAccountName`, sa));
  const seen = new Set<string>();
  records(spec.imagePullSecrets).forEach((s, i) => {
    const n = str(s.name) ?? "";
    if (n && seen.has(n)) causes.push(duplicate(`${path}.imagePullSecrets[${i}].name`, n));
    seen.add(n);
  });
  return causes;
}
