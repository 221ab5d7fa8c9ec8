// Parses a resource URL the way kube-apiserver's RequestInfoFactory does:
// /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]] and /apis/{group}/{version}/…
import type { Registry } from "../resources/registry";
import type { ResourceDef } from "../resources/types";

export interface ResourceRequest {
  group: string;
  version: string;
  def: ResourceDef;
  /** Set for namespaced kinds; undefined for a cluster-scoped kind or an all-namespaces list. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { kind: "resource"; request: ResourceRequest }
  | { kind: "unknown-resource"; group: string; version: string; resource: string }
  | { kind: "not-resource" };

export function parseResourcePath(pathname: string, registry: Registry): ParsedPath {
  const parts = pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: "not-resource" };
  }

  let namespace: string | undefined;
  // namespaces/{ns}/{resource}/… is a namespaced path unless what follows is a
  // subresource of the namespace itself (status, finalize).
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const maybe = registry.byPlural(group, rest[2]!);
    if (maybe?.namespaced || (group !== "" || rest.length > 3 || !["status", "finalize"].includes(rest[2]!))) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) return { kind: "not-resource" };
  const def = registry.byPlural(group, resource);
  if (!def || !(def.version === version || (def.servedVersions ?? []).includes(version))) {
    return { kind: "unknown-resource", group, version, resource };
  }
  if (namespace !== undefined && !def.namespaced) return { kind: "unknown-resource", group, version, resource };
  return { kind: "resource", request: { group, version, def, namespace, name, subresource } };
}
