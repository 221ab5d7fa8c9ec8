// networking.k8s.io/v1beta1 Ingress on the way out: clients that speak v1beta1 (old
// manifests through `kubectl apply`) read back what they wrote, as upstream's conversion did.
import { isRecord, type Json } from "../../../shared/json";
import type { KubeObject } from "../types";


/** v1 {service: {name, port: {number|name}}} → v1beta1 {serviceName, servicePort}. */
function backendToV1beta1(backend: unknown): unknown {
  if (!isRecord(backend)) return backend;
  const out: Json = {};
  if (backend.resource !== undefined) out.resource = backend.resource;
  const service = backend.service;
  if (isRecord(service)) {
    out.serviceName = service.name;
    const port = service.port;
    if (isRecord(port)) out.servicePort = port.number ?? port.name;
  }
  return out;
}

export function convertIngressToV1beta1(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  out.apiVersion = "networking.k8s.io/v1beta1";
  const spec = out.spec;
  if (!isRecord(spec)) return out;
  if (spec.defaultBackend !== undefined) {
    spec.backend = backendToV1beta1(spec.defaultBackend);
    delete spec.defaultBackend;
  }
  for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
    const paths = isRecord(rule) && isRecord(rule.http) && Array.isArray(rule.http.paths) ? rule.http.paths : [];
    for (const path of paths) if (isRecord(path)) path.backend = backendToV1beta1(path.backend);
  }
  return out;
}
