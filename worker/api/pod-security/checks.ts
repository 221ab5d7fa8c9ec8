// The Pod Security Standards (k8s.io/pod-security-admission/policy): the checks of the baseline
// and restricted levels over a pod spec, each answering upstream's forbidden reason and detail,
// so a refused pod reads as it does on Kubernetes. Pure functions of the spec.
import { asArray, asRecord, str } from "../../../shared/json";

export type Level = "privileged" | "baseline" | "restricted";
export const LEVELS: readonly Level[] = ["privileged", "baseline", "restricted"];

export interface Violation {
  reason: string;
  detail: string;
}

type Json = Record<string, unknown>;

interface NamedContainer {
  name: string;
  securityContext: Json;
  ports: Json[];
}

function containersOf(spec: Json): NamedContainer[] {
  return ["initContainers", "containers", "ephemeralContainers"].flatMap((field) =>
    (asArray(spec[field]) ?? []).map((raw) => {
      const c = asRecord(raw) ?? {};
      return { name: str(c.name) ?? "", securityContext: asRecord(c.securityContext) ?? {}, ports: (asArray(c.ports) ?? []).map((p) => asRecord(p) ?? {}) };
    }),
  );
}

/** `container "a"` / `containers "a", "b"`, as upstream's pluralize and joinQuote. */
function named(kind: string, names: string[]): string {
  return `${kind}${names.length === 1 ? "" : "s"} ${names.map((n) => JSON.stringify(n)).join(", ")}`;
}

const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const SAFE_SYSCTLS = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
const RESTRICTED_VOLUME_SOURCES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

function baseline(spec: Json): Violation[] {
  const out: Violation[] = [];
  const security = asRecord(spec.securityContext) ?? {};
  const containers = containersOf(spec);

  const hostNamespaces = ["hostNetwork", "hostPID", "hostIPC"].filter((f) => spec[f] === true).map((f) => `${f}=true`);
  if (hostNamespaces.length) out.push({ reason: "host namespaces", detail: hostNamespaces.join(", ") });

  const privileged = containers.filter((c) => c.securityContext.privileged === true).map((c) => c.name);
  if (privileged.length) out.push({ reason: "privileged", detail: `${named("container", privileged)} must not set securityContext.privileged=true` });

  const added = new Map<string, string[]>();
  for (const c of containers) {
    for (const cap of (asArray(asRecord(c.securityContext.capabilities)?.add) ?? []).map(String)) {
      if (!BASELINE_CAPABILITIES.has(cap)) added.set(c.name, [...(added.get(c.name) ?? []), cap]);
    }
  }
  if (added.size) {
    const caps = [...new Set([...added.values()].flat())];
    out.push({ reason: "non-default capabilities", detail: `${named("container", [...added.keys()])} must not include ${caps.map((c) => JSON.stringify(c)).join(", ")} in securityContext.capabilities.add` });
  }

  const hostPaths = (asArray(spec.volumes) ?? []).map((v) => asRecord(v) ?? {}).filter((v) => v.hostPath !== undefined).map((v) => str(v.name) ?? "");
  if (hostPaths.length) out.push({ reason: "hostPath volumes", detail: named("volume", hostPaths) });

  const hostPorts = containers.flatMap((c) => c.ports.filter((p) => typeof p.hostPort === "number" && p.hostPort !== 0).map((p) => ({ name: c.name, port: p.hostPort as number })));
  if (hostPorts.length) {
    out.push({ reason: "hostPort", detail: `${named("container", [...new Set(hostPorts.map((h) => h.name))])} ${hostPorts.length === 1 ? "uses hostPort" : "use hostPorts"} ${hostPorts.map((h) => h.port).join(", ")}` });
  }

  const unconfined: string[] = [];
  if (asRecord(security.seccompProfile)?.type === "Unconfined") unconfined.push("pod");
  for (const c of containers) if (asRecord(c.securityContext.seccompProfile)?.type === "Unconfined") unconfined.push(`container ${JSON.stringify(c.name)}`);
  if (unconfined.length) out.push({ reason: "seccompProfile", detail: `${unconfined.join(" and ")} must not set securityContext.seccompProfile.type to "Unconfined"` });

  const procMount = containers.filter((c) => c.securityContext.procMount !== undefined && c.securityContext.procMount !== "Default").map((c) => c.name);
  if (procMount.length) out.push({ reason: "procMount", detail: `${named("container", procMount)} must not set securityContext.procMount to "Unmasked"` });

  const sysctls = (asArray(security.sysctls) ?? []).map((s) => str(asRecord(s)?.name) ?? "").filter((n) => !SAFE_SYSCTLS.has(n));
  if (sysctls.length) out.push({ reason: "forbidden sysctls", detail: sysctls.join(", ") });
  return out;
}

function restricted(spec: Json): Violation[] {
  const out: Violation[] = [];
  const security = asRecord(spec.securityContext) ?? {};
  const containers = containersOf(spec);

  const badVolumes = (asArray(spec.volumes) ?? []).map((v) => asRecord(v) ?? {}).flatMap((v) => {
    const source = Object.keys(v).find((k) => k !== "name");
    return source && !RESTRICTED_VOLUME_SOURCES.has(source) ? [{ name: str(v.name) ?? "", source }] : [];
  });
  if (badVolumes.length) {
    const types = [...new Set(badVolumes.map((b) => b.source))];
    out.push({ reason: "restricted volume types", detail: `${named("volume", badVolumes.map((b) => b.name))} ${badVolumes.length === 1 ? "uses" : "use"} restricted volume type${types.length === 1 ? "" : "s"} ${types.map((t) => JSON.stringify(t)).join(", ")}` });
  }

  const escalation = containers.filter((c) => c.securityContext.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (escalation.length) out.push({ reason: "allowPrivilegeEscalation != false", detail: `${named("container", escalation)} must set securityContext.allowPrivilegeEscalation=false` });

  const notDropped = containers.filter((c) => !(asArray(asRecord(c.securityContext.capabilities)?.drop) ?? []).includes("ALL")).map((c) => c.name);
  const extraCaps = containers.filter((c) => (asArray(asRecord(c.securityContext.capabilities)?.add) ?? []).some((cap) => cap !== "NET_BIND_SERVICE"));
  if (notDropped.length || extraCaps.length) {
    const details: string[] = [];
    if (notDropped.length) details.push(`${named("container", notDropped)} must set securityContext.capabilities.drop=["ALL"]`);
    if (extraCaps.length) details.push(`${named("container", extraCaps.map((c) => c.name))} must not include ${[...new Set(extraCaps.flatMap((c) => (asArray(asRecord(c.securityContext.capabilities)?.add) ?? []).map(String).filter((cap) => cap !== "NET_BIND_SERVICE")))].map((c) => JSON.stringify(c)).join(", ")} in securityContext.capabilities.add`);
    out.push({ reason: "unrestricted capabilities", detail: details.join("; ") });
  }

  // runAsNonRoot: the pod's, overridable per container; an explicit false anywhere is refused.
  const podNonRoot = security.runAsNonRoot;
  const rootContainers = containers.filter((c) => (c.securityContext.runAsNonRoot ?? podNonRoot) !== true).map((c) => c.name);
  if (podNonRoot === false || rootContainers.length) {
    out.push({ reason: "runAsNonRoot != true", detail: podNonRoot === false ? "pod must not set securityContext.runAsNonRoot=false" : `pod or ${named("container", rootContainers)} must set securityContext.runAsNonRoot=true` });
  }

  const rootUser: string[] = [];
  if (security.runAsUser === 0) rootUser.push("pod");
  for (const c of containers) if (c.securityContext.runAsUser === 0) rootUser.push(`container ${JSON.stringify(c.name)}`);
  if (rootUser.length) out.push({ reason: "runAsUser=0", detail: `${rootUser.join(" and ")} must not set runAsUser=0` });

  const podSeccomp = str(asRecord(security.seccompProfile)?.type);
  const unset = containers.filter((c) => {
    const type = str(asRecord(c.securityContext.seccompProfile)?.type) ?? podSeccomp;
    return type !== "RuntimeDefault" && type !== "Localhost";
  }).map((c) => c.name);
  if (unset.length) out.push({ reason: "seccompProfile", detail: `pod or ${named("container", unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` });
  return out;
}

/** What a pod spec does that `level` forbids; empty when it complies. */
export function violations(level: Level, spec: unknown): Violation[] {
  const s = asRecord(spec) ?? {};
  if (level === "privileged") return [];
  const base = baseline(s);
  return level === "baseline" ? base : [...base, ...restricted(s)];
}

/** Upstream's summary: `host namespaces (hostNetwork=true), privileged (container "c" must …)`. */
export function describeViolations(list: readonly Violation[]): string {
  return list.map((v) => `${v.reason} (${v.detail})`).join(", ");
}
