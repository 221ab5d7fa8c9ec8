// Aggregated discovery (apidiscovery.k8s.io/v2, and v2beta1 for clients that ask only for
// it): /api and /apis answer every group, version and resource in one response, so kubectl
// ≥ 1.26 needs two requests instead of one per group version. Same rows as legacy discovery.
import type { Registry } from "../resources/registry";
import type { ResourceDef } from "../resources/types";
import { subresourcesOf } from "./discovery";

type DiscoveryVersion = "v2" | "v2beta1";

const GROUP = "apidiscovery.k8s.io";

export function contentTypeOf(version: DiscoveryVersion): string {
  return `application/json;g=${GROUP};v=${version};as=APIGroupDiscoveryList`;
}

/**
 * The first media range, in the client's order, that we can serve: aggregated v2 or v2beta1,
 * or anything else acceptable (plain JSON, `*∕*`), which means legacy discovery. kube-apiserver
 * negotiates the same way; a protobuf range is skipped (we answer JSON only).
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryVersion | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(",")) {
    const [type, ...rawParams] = part.split(";").map((s) => s.trim());
    const media = (type ?? "").toLowerCase();
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf("=");
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    const json = media === "application/json" || media === "application/*" || media === "*/*";
    if (!json) continue;
    if (params.as === undefined && params.g === undefined) return undefined;
    if (params.g === GROUP && params.as === "APIGroupDiscoveryList" && (params.v === "v2" || params.v === "v2beta1")) return params.v;
  }
  return undefined;
}

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

function resourceEntry(def: ResourceDef, version: string) {
  const responseKind: GroupVersionKind = { group: def.group, version, kind: def.kind };
  const entry: Record<string, unknown> = {
    resource: def.plural,
    responseKind,
    scope: def.namespaced ? "Namespaced" : "Cluster",
    singularResource: def.singular,
    verbs: def.verbs,
  };
  if (def.shortNames?.length) entry.shortNames = def.shortNames;
  if (def.categories?.length) entry.categories = def.categories;
  const subresources = subresourcesOf(def).map((sub) => ({
    subresource: sub.name,
    responseKind: { group: sub.group ?? def.group, version: sub.version ?? version, kind: sub.kind },
    verbs: sub.verbs,
  }));
  if (subresources.length) entry.subresources = subresources;
  return entry;
}

function groupEntry(registry: Registry, group: string) {
  // The preferred (storage) version first: clients take the first as preferred.
  const versions = registry.groupVersions(group).map((version) => ({
    version,
    resources: registry.resourcesAt(group, version).map((def) => resourceEntry(def, version)),
    freshness: "Current",
  }));
  return { metadata: { name: group, creationTimestamp: null }, versions };
}

export function aggregatedDiscoveryList(registry: Registry, scope: "api" | "apis", version: DiscoveryVersion = "v2") {
  const groups = scope === "api" ? [""] : registry.apiGroups();
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `${GROUP}/${version}`,
    metadata: {},
    items: groups.map((g) => groupEntry(registry, g)),
  };
}

/** GET /api or /apis in the aggregated form, or undefined when the client did not ask for it. */
export function aggregatedDiscovery(registry: Registry, scope: "api" | "apis", accept: string | undefined): Response | undefined {
  const version = negotiateDiscovery(accept);
  if (!version) return undefined;
  return new Response(JSON.stringify(aggregatedDiscoveryList(registry, scope, version)), {
    status: 200,
    headers: { "content-type": contentTypeOf(version), vary: "Accept" },
  });
}
