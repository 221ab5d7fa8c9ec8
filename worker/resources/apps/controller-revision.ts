// ControllerRevision (apps/v1): an immutable snapshot of a StatefulSet's template, which
// `kubectl rollout history statefulset` lists and `rollout undo` restores.
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource } from "../meta";
import { immutable, invalid, metadataNameCauses, type Cause } from "../shared/field-errors";
import type { KubeObject } from "../types";

export const controllerRevisionSchema = objectSchema({
  // runtime.RawExtension: any embedded object, kept whole.
  data: z.looseObject({}).meta({ "x-kubernetes-preserve-unknown-fields": true }).optional(),
  revision: z.number().int(),
});

/** formatResourceName(GroupKind, name, withKind): "statefulset.apps/web", "pod/x" for core. */
function controllerCell(obj: KubeObject): string {
  const owner = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!owner) return "<none>";
  const slash = owner.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : owner.apiVersion.slice(0, slash);
  const groupKind = group ? `${owner.kind}.${group}` : owner.kind;
  return groupKind ? `${groupKind.toLowerCase()}/${owner.name}` : owner.name;
}

export const controllerrevisions = resource({
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  listKind: "ControllerRevisionList",
  plural: "controllerrevisions",
  singular: "controllerrevision",
  namespaced: true,
  schema: controllerRevisionSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Controller", type: "string", description: "Controller of the object", priority: 0 },
    { name: "Revision", type: "string", description: "Revision indicates the revision of the state represented by Data.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", controllerCell(o), typeof o.revision === "number" ? o.revision : 0, age(o, now)],
  prepareForCreate(obj) {
    // The strategy sets no generation for this kind.
    delete obj.metadata.generation;
  },
  prepareForUpdate(obj) {
    delete obj.metadata.generation;
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    if (typeof obj.revision === "number" && obj.revision < 0) causes.push(invalid("revision", obj.revision, "must be greater than or equal to 0"));
    if (old && !deepEqual(obj.data, old.data)) causes.push(immutable("data", obj.data));
    return causes;
  },
});
