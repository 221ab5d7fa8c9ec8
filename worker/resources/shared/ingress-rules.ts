// Ingress v1beta1 → v1 conversion and v1 validation (ValidateIngressSpec), kept beside
// networking/ingress.ts so old manifests apply unchanged and bad ones fail as upstream.
import type { KubeObject } from "../types";
import {
  dns1035LabelCauses,
  dns1123SubdomainCauses,
  invalid,
  isIP,
  notSupported,
  portNameCauses,
  portNumCauses,
  required,
  type Cause,
} from "./field-errors";
import { asArray, asRecord, str, type Json } from "../../../shared/json";

export const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"];

/** v1beta1 IngressBackend {serviceName, servicePort} → v1 {service: {name, port}}. */
function convertBackend(backend: unknown): unknown {
  const b = asRecord(backend);
  if (!b) return backend;
  const out: Json = {};
  if (b.resource !== undefined) out.resource = b.resource;
  if (b.serviceName !== undefined || b.servicePort !== undefined) {
    const port = b.servicePort;
    const service: Json = { name: b.serviceName ?? "" };
    if (typeof port === "number") service.port = { number: port };
    else if (typeof port === "string") service.port = { name: port };
    out.service = service;
  }
  if (b.service !== undefined && out.service === undefined) out.service = b.service;
  return out;
}

export function convertIngressFromV1beta1(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  const spec = asRecord(out.spec);
  if (!spec) return out;
  if (spec.backend !== undefined) {
    if (spec.defaultBackend === undefined) spec.defaultBackend = convertBackend(spec.backend);
    delete spec.backend;
  } else if (spec.defaultBackend !== undefined) {
    spec.defaultBackend = convertBackend(spec.defaultBackend);
  }
  for (const rule of asArray(spec.rules) ?? []) {
    for (const path of asArray(asRecord(asRecord(rule)?.http)?.paths) ?? []) {
      const p = asRecord(path);
      if (!p) continue;
      // v1beta1's SetDefaults_HTTPIngressPath.
      if (p.pathType === undefined || p.pathType === null) p.pathType = "ImplementationSpecific";
      p.backend = convertBackend(p.backend);
    }
  }
  return out;
}

function hostCauses(path: string, host: string): Cause[] {
  if (isIP(host)) return [invalid(path, host, "must be a DNS name, not an IP address")];
  if (host.startsWith("*.")) {
    const rest = host.slice(2);
    const ok = !rest.includes("*") && dns1123SubdomainCauses(path, rest).length === 0;
    return ok
      ? []
      : [
          invalid(
            path,
            host,
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
          ),
        ];
  }
  return dns1123SubdomainCauses(path, host);
}

function backendCauses(path: string, backend: unknown): Cause[] {
  const b = asRecord(backend) ?? {};
  const service = asRecord(b.service);
  const resourceRef = asRecord(b.resource);
  if (service && resourceRef) return [invalid(path, "", "cannot set both resource and service backends")];
  if (resourceRef) {
    const out: Cause[] = [];
    if (!str(resourceRef.kind)) out.push(required(`${path}.resource.kind`));
    if (!str(resourceRef.name)) out.push(required(`${path}.resource.name`));
    return out;
  }
  if (!service) return [invalid(path, "", "resource or service backend is required")];
  const out: Cause[] = [];
  const name = str(service.name) ?? "";
  if (name === "") out.push(required(`${path}.service.name`));
  else out.push(...dns1035LabelCauses(`${path}.service.name`, name));
  const port = asRecord(service.port) ?? {};
  const hasName = typeof port.name === "string" && port.name !== "";
  const hasNumber = typeof port.number === "number" && port.number !== 0;
  if (hasName && hasNumber) out.push(invalid(`${path}.service.port`, "", "cannot set both port name & port number"));
  else if (hasName) out.push(...portNameCauses(`${path}.service.port.name`, port.name as string));
  else if (hasNumber) out.push(...portNumCauses(`${path}.service.port.number`, port.number));
  else out.push(required(`${path}.service.port`, "port name or number is required"));
  return out;
}

function httpPathCauses(path: string, p: Json): Cause[] {
  const out: Cause[] = [];
  const pathType = p.pathType;
  const value = str(p.path) ?? "";
  if (pathType === undefined || pathType === null) out.push(required(`${path}.pathType`, "pathType must be specified"));
  else if (typeof pathType !== "string" || !PATH_TYPES.includes(pathType)) out.push(notSupported(`${path}.pathType`, pathType, PATH_TYPES));
  else if (pathType === "Exact" || pathType === "Prefix") {
    if (!value.startsWith("/")) out.push(invalid(`${path}.path`, value, "must be an absolute path"));
    if (/\/\/|\/\.\.?(\/|$)|%2f|%2F/.test(value)) out.push(invalid(`${path}.path`, value, "must not contain '//', '/./', '/../', or '%2f'"));
  } else if (value !== "" && !value.startsWith("/")) {
    out.push(invalid(`${path}.path`, value, "must be an absolute path"));
  }
  out.push(...backendCauses(`${path}.backend`, p.backend));
  return out;
}

export function validateIngressSpec(spec: Json): Cause[] {
  const out: Cause[] = [];
  const rules = asArray(spec.rules) ?? [];
  if (rules.length === 0 && spec.defaultBackend === undefined) {
    const shown = "[]networking.IngressRule(nil)";
    out.push({ field: "spec", reason: "FieldValueInvalid", message: `Invalid value: ${shown}: either \`defaultBackend\` or \`rules\` must be specified` });
  }
  if (spec.defaultBackend !== undefined) out.push(...backendCauses("spec.defaultBackend", spec.defaultBackend));
  rules.forEach((r, i) => {
    const rule = asRecord(r) ?? {};
    const host = str(rule.host) ?? "";
    if (host) out.push(...hostCauses(`spec.rules[${i}].host`, host));
    const http = asRecord(rule.http);
    if (!http) return;
    const paths = asArray(http.paths) ?? [];
    if (paths.length === 0) out.push(required(`spec.rules[${i}].http.paths`));
    paths.forEach((p, j) => out.push(...httpPathCauses(`spec.rules[${i}].http.paths[${j}]`, asRecord(p) ?? {})));
  });
  (asArray(spec.tls) ?? []).forEach((t, i) => {
    (asArray(asRecord(t)?.hosts) ?? []).forEach((h, j) => {
      if (typeof h === "string") out.push(...hostCauses(`spec.tls[${i}].hosts[${j}]`, h));
    });
  });
  const className = str(spec.ingressClassName);
  if (className !== undefined) out.push(...dns1123SubdomainCauses("spec.ingressClassName", className));
  return out;
}
