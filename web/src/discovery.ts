// The kinds the console lists, discovered from the API (as kubectl api-resources does), never a
// hand-kept table: a kind added to the server, CRDs later included, shows up here.
import { apiGet } from "./api";

export interface Kind {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** It serves the scale subresource (kubectl scale works on it). */
  scalable: boolean;
  deletable: boolean;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

interface ResourceList {
  groupVersion: string;
  resources: ApiResource[];
}

interface GroupList {
  groups: { name: string; preferredVersion: { groupVersion: string; version: string } }[];
}

function kindsOf(list: ResourceList, group: string, version: string): Kind[] {
  const names = new Set(list.resources.map((r) => r.name));
  return list.resources
    .filter((r) => !r.name.includes("/") && r.verbs.includes("list") && r.verbs.includes("watch"))
    .map((r) => ({
      group,
      version,
      plural: r.name,
      kind: r.kind,
      namespaced: r.namespaced,
      scalable: names.has(`${r.name}/scale`),
      deletable: r.verbs.includes("delete"),
    }));
}

export async function discoverKinds(token: string): Promise<Kind[]> {
  const [core, groups] = await Promise.all([apiGet<ResourceList>("/api/v1", token), apiGet<GroupList>("/apis", token)]);
  const lists = await Promise.all(
    groups.groups.map(async (g) => kindsOf(await apiGet<ResourceList>(`/apis/${g.preferredVersion.groupVersion}`, token), g.name, g.preferredVersion.version)),
  );
  return [...kindsOf(core, "", "v1"), ...lists.flat()];
}

/** The collection URL of a kind, in one namespace or across all (undefined). */
export function collectionPath(kind: Kind, namespace: string | undefined): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : "/api/v1";
  return kind.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}` : `${base}/${kind.plural}`;
}

/** One object's URL. */
export function objectPath(kind: Kind, namespace: string | undefined, name: string): string {
  return `${collectionPath(kind, kind.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

/** How a kind is named in the console's address: `pods`, `deployments.apps`. */
export function kindId(kind: Pick<Kind, "group" | "plural">): string {
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}
