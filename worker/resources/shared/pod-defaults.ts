// kube-apiserver's defaulting for PodSpec (pkg/apis/core/v1/defaults.go), in place on raw
// JSON: it runs before the schema parse, so every step tolerates shapes the parse rejects.
import { asArray, asRecord, str, type Json } from "../../../shared/json";
import { VOLUME_SOURCES } from "./pod-volume-schema";

/** 0644, the mode of projected/secret/configMap/downwardAPI files unless told otherwise. */
const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
const DEFAULT_GRACE_SECONDS = 30;

/** imagePullPolicy default: Always for `:latest` or an untagged image, else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): "Always" | "IfNotPresent" {
  if (!image) return "IfNotPresent";
  // A digest pins the image; upstream parses the reference and looks only at the tag.
  if (image.includes("@")) return "IfNotPresent";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  const tag = colon < 0 ? "" : lastSegment.slice(colon + 1);
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function records(v: unknown): Json[] {
  return (asArray(v) ?? []).map(asRecord).filter((x): x is Json => x !== undefined);
}

function defaultHttpGet(handler: unknown): void {
  const http = asRecord(asRecord(handler)?.httpGet);
  if (!http) return;
  if (!http.path) http.path = "/";
  if (!http.scheme) http.scheme = "HTTP";
}

function defaultProbe(probe: unknown): void {
  const p = asRecord(probe);
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHttpGet(p);
}

function defaultFieldRefs(items: unknown): void {
  for (const item of records(items)) {
    const ref = asRecord(item.fieldRef);
    if (ref && !ref.apiVersion) ref.apiVersion = "v1";
  }
}

function defaultContainer(c: Json): void {
  if (!c.terminationMessagePath) c.terminationMessagePath = "/dev/termination-log";
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = "File";
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(str(c.image));
  // Container.Resources is a struct, not a pointer: it always serialises, as `{}` when empty.
  if (c.resources === undefined || c.resources === null) c.resources = {};
  for (const p of records(c.ports)) if (!p.protocol) p.protocol = "TCP";
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) defaultProbe(c[probe]);
  const lifecycle = asRecord(c.lifecycle);
  if (lifecycle) for (const h of ["postStart", "preStop"]) defaultHttpGet(lifecycle[h]);
  for (const e of records(c.env)) {
    const ref = asRecord(asRecord(e.valueFrom)?.fieldRef);
    if (ref && !ref.apiVersion) ref.apiVersion = "v1";
  }
}

function defaultVolume(vol: Json): void {
  // SetDefaults_Volume: a volume naming no source is an emptyDir.
  if (!VOLUME_SOURCES.some((k) => vol[k] !== undefined && vol[k] !== null)) vol.emptyDir = {};
  for (const key of ["secret", "configMap", "downwardAPI", "projected"]) {
    const src = asRecord(vol[key]);
    if (src && src.defaultMode === undefined) src.defaultMode = DEFAULT_FILE_MODE;
  }
  defaultFieldRefs(asRecord(vol.downwardAPI)?.items);
  for (const source of records(asRecord(vol.projected)?.sources)) {
    const token = asRecord(source.serviceAccountToken);
    if (token && token.expirationSeconds === undefined) token.expirationSeconds = DEFAULT_TOKEN_EXPIRATION_SECONDS;
    defaultFieldRefs(asRecord(source.downwardAPI)?.items);
  }
  const hostPath = asRecord(vol.hostPath);
  if (hostPath && hostPath.type === undefined) hostPath.type = "";
  const claimSpec = asRecord(asRecord(asRecord(vol.ephemeral)?.volumeClaimTemplate)?.spec);
  if (claimSpec && !claimSpec.volumeMode) claimSpec.volumeMode = "Filesystem";
}

/** SetDefaults_PodSpec and the container/volume/probe defaults, for Pods and pod templates alike. */
export function applyPodSpecDefaults(spec: Json): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) {
    spec.terminationGracePeriodSeconds = DEFAULT_GRACE_SECONDS;
  }
  if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
  // DeprecatedServiceAccount and ServiceAccountName mirror each other (conversion does this upstream).
  if (!spec.serviceAccountName && str(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  for (const list of ["initContainers", "containers", "ephemeralContainers"]) {
    for (const c of records(spec[list])) defaultContainer(c);
  }
  for (const v of records(spec.volumes)) defaultVolume(v);
}

/**
 * SetDefaults_Pod, which applies to Pods only (not templates): requests default to limits,
 * service links on, and host-network ports mirrored to hostPort.
 */
export function applyPodOnlyDefaults(spec: Json): void {
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  for (const list of ["initContainers", "containers"]) {
    for (const c of records(spec[list])) {
      const resources = asRecord(c.resources);
      const limits = asRecord(resources?.limits);
      if (!resources || !limits || Object.keys(limits).length === 0) continue;
      const requests = asRecord(resources.requests) ?? {};
      for (const [name, value] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = value;
      resources.requests = requests;
    }
    if (spec.hostNetwork === true) {
      for (const c of records(spec[list])) {
        for (const p of records(c.ports)) if (p.hostPort === undefined || p.hostPort === 0) p.hostPort = p.containerPort;
      }
    }
  }
}
