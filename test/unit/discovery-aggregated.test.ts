// Aggregated discovery: negotiation of kubectl's Accept header, the apidiscovery.k8s.io/v2
// shape, and, converted back as client-go's SplitGroupsAndResources does, the same rows that
// `kubectl api-resources` prints from legacy discovery.
import { describe, expect, it } from "vitest";
import { aggregatedDiscovery as aggregatedDiscoveryOf, aggregatedDiscoveryList as aggregatedDiscoveryListOf, negotiateDiscovery } from "../../worker/api/discovery-aggregated";
import { coreVersions, groupList as groupListOf, resourceList as resourceListOf } from "../../worker/api/discovery";
import { Registry } from "../../worker/resources/registry";
import { FIXTURE_RESOURCES } from "./openapi-fixture";

const REGISTRY = new Registry(FIXTURE_RESOURCES);
const aggregatedDiscovery = (scope: "api" | "apis", accept: string) => aggregatedDiscoveryOf(REGISTRY, scope, accept);
const aggregatedDiscoveryList = (scope: "api" | "apis") => aggregatedDiscoveryListOf(REGISTRY, scope);
const groupList = () => groupListOf(REGISTRY);
const resourceList = (group: string, version: string) => resourceListOf(REGISTRY, group, version);

const KUBECTL_132 =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

type Json = Record<string, unknown>;
interface Row {
  name: string;
  shortNames: string;
  apiVersion: string;
  namespaced: boolean;
  kind: string;
  verbs: string;
  categories: string;
}

/** client-go convertAPIGroup/convertAPIResource/convertAPISubresource, flattened to api-resources rows. */
function rowsFromAggregated(list: Json): Row[] {
  const rows: Row[] = [];
  for (const group of list.items as Json[]) {
    const name = (group.metadata as Json).name as string;
    for (const v of group.versions as Json[]) {
      const gv = name ? `${name}/${v.version as string}` : (v.version as string);
      for (const r of v.resources as Json[]) {
        const rk = r.responseKind as Json | undefined;
        if (!rk?.kind) continue;
        rows.push({
          name: r.resource as string,
          shortNames: ((r.shortNames as string[]) ?? []).join(","),
          apiVersion: gv,
          namespaced: r.scope === "Namespaced",
          kind: rk.kind as string,
          verbs: ((r.verbs as string[]) ?? []).join(","),
          categories: ((r.categories as string[]) ?? []).join(","),
        });
        for (const s of (r.subresources as Json[]) ?? []) {
          rows.push({
            name: `${r.resource as string}/${s.subresource as string}`,
            shortNames: "",
            apiVersion: gv,
            namespaced: r.scope === "Namespaced",
            kind: (s.responseKind as Json).kind as string,
            verbs: ((s.verbs as string[]) ?? []).join(","),
            categories: "",
          });
        }
      }
    }
  }
  return rows;
}

function rowsFromLegacy(): Row[] {
  const gvs: [string, string][] = coreVersions("h").versions.map((v) => ["", v] as [string, string]);
  for (const g of groupList().groups) for (const v of g.versions) gvs.push([g.name, v.version]);
  const rows: Row[] = [];
  for (const [group, version] of gvs) {
    const list = resourceList(group, version)!;
    for (const r of list.resources) {
      rows.push({
        name: r.name as string,
        shortNames: ((r.shortNames as string[]) ?? []).join(","),
        apiVersion: list.groupVersion,
        namespaced: r.namespaced as boolean,
        kind: r.kind as string,
        verbs: ((r.verbs as string[]) ?? []).join(","),
        categories: ((r.categories as string[]) ?? []).join(","),
      });
    }
  }
  return rows;
}

describe("aggregated discovery negotiation", () => {
  it("picks v2 for kubectl 1.32's Accept", () => expect(negotiateDiscovery(KUBECTL_132)).toBe("v2"));
  it("picks v2beta1 when only that is asked for", () =>
    expect(negotiateDiscovery("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")).toBe("v2beta1"));
  it("tolerates spaces and parameter order", () =>
    expect(negotiateDiscovery("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io")).toBe("v2"));
  it("serves legacy discovery to plain JSON, */* or no Accept", () => {
    expect(negotiateDiscovery(undefined)).toBeUndefined();
    expect(negotiateDiscovery("application/json")).toBeUndefined();
    expect(negotiateDiscovery("*/*")).toBeUndefined();
    expect(negotiateDiscovery("application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")).toBeUndefined();
    expect(aggregatedDiscovery("apis", "application/json")).toBeUndefined();
  });
  it("skips ranges it cannot serve (protobuf, unknown versions)", () => {
    expect(
      negotiateDiscovery(
        "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
      ),
    ).toBe("v2beta1");
  });
});

describe("APIGroupDiscoveryList", () => {
  it("answers with the content type client-go matches on", async () => {
    const res = aggregatedDiscovery("apis", KUBECTL_132)!;
    expect(res.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    const body = (await res.json()) as Json;
    expect(body.kind).toBe("APIGroupDiscoveryList");
    expect(body.apiVersion).toBe("apidiscovery.k8s.io/v2");
    const beta = aggregatedDiscovery("api", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")!;
    expect(beta.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
    expect(((await beta.json()) as Json).apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
  });

  it("describes each resource with scope, singular, verbs, short names, categories and subresources", () => {
    const apis = aggregatedDiscoveryList("apis");
    const apps = apis.items.find((g) => g.metadata.name === "apps")!;
    expect(apps.versions.map((v) => v.version)).toEqual(["v1"]);
    const widgets = apps.versions[0]!.resources.find((r) => r.resource === "widgets")!;
    expect(widgets).toEqual({
      resource: "widgets",
      responseKind: { group: "apps", version: "v1", kind: "Widget" },
      scope: "Namespaced",
      singularResource: "widget",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["wd"],
      categories: ["all"],
      subresources: [
        { subresource: "status", responseKind: { group: "apps", version: "v1", kind: "Widget" }, verbs: ["get", "patch", "update"] },
        { subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] },
      ],
    });
    const net = apis.items.find((g) => g.metadata.name === "networking.k8s.io")!;
    expect(net.versions.map((v) => v.version)).toEqual(["v1", "v1beta1"]);
    expect(net.versions[1]!.resources[0]!.responseKind).toEqual({ group: "networking.k8s.io", version: "v1beta1", kind: "Ingress" });
    const core = aggregatedDiscoveryList("api");
    expect(core.items).toHaveLength(1);
    expect(core.items[0]!.metadata.name).toBe("");
    const ns = core.items[0]!.versions[0]!.resources.find((r) => r.resource === "namespaces")!;
    expect(ns.scope).toBe("Cluster");
  });

  it("gives kubectl api-resources the same rows as legacy discovery", () => {
    const aggregated = [...rowsFromAggregated(aggregatedDiscoveryList("api")), ...rowsFromAggregated(aggregatedDiscoveryList("apis"))];
    expect(aggregated).toEqual(rowsFromLegacy());
    expect(aggregated.filter((r) => !r.namespaced && !r.name.includes("/")).map((r) => r.name)).toEqual(["namespaces"]);
  });
});
