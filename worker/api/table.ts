// meta.k8s.io Table output (`as=Table`): kubectl asks for it on `get` and prints the
// columns the server defines, so each kind's columns live once, in its ResourceDef.
import type { KubeObject, ResourceDef } from "../resources/types";
import { apiVersionOf } from "../resources/meta";
import { badRequest } from "../../shared/status-error";

export type IncludeObject = "None" | "Metadata" | "Object";

export function parseIncludeObject(value: string | undefined): IncludeObject {
  if (value === undefined || value === "" || value === "Metadata") return "Metadata";
  if (value === "None" || value === "Object") return value;
  throw badRequest(`includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`);
}

export function partialObjectMetadata(obj: KubeObject, version: "v1" | "v1beta1" = "v1"): KubeObject {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function tableRow(def: ResourceDef, obj: KubeObject, now: Date, include: IncludeObject, version: "v1" | "v1beta1") {
  const row: { cells: unknown[]; object?: unknown } = { cells: def.printRow(obj, now) };
  if (include === "Metadata") row.object = partialObjectMetadata(obj, version);
  else if (include === "Object") row.object = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(def), kind: obj.kind ?? def.kind };
  return row;
}

export function tableColumns(def: ResourceDef) {
  return def.printerColumns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? "",
    description: c.description ?? "",
    priority: c.priority,
  }));
}

export interface TableOptions {
  now: Date;
  include: IncludeObject;
  version: "v1" | "v1beta1";
  resourceVersion?: string;
  continueToken?: string;
  remainingItemCount?: number;
  /** Watch events carry one-row tables without column definitions after the first. */
  withColumns?: boolean;
}

export function toTable(def: ResourceDef, objects: KubeObject[], options: TableOptions) {
  const metadata: Record<string, unknown> = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.continueToken) metadata.continue = options.continueToken;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata,
    columnDefinitions: options.withColumns === false ? null : tableColumns(def),
    rows: objects.map((o) => tableRow(def, o, options.now, options.include, options.version)),
  };
}
