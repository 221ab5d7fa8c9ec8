// ControllerRevision (apps/v1): an immutable snapshot of a StatefulSet's template, which
// `kubectl rollout history statefulset` lists.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, objectSchema, resource } from "../meta";
import { immutable, invalid, metadataNameCauses, type Cause } from "../shared/cfg-causes";
import { deepEqual } from "../../lib/deep-equal";

export const controllerRevisionSchema = objectSchema({
  data: z.looseObject({}).optional(),
  revision: z.number().int(),
});

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
    { name: "Revision", type: "integer", description: "Revision indicates the revision of the state represented by Data.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow(o, now) {
    const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
    const controller = owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split("/")[0]}/${owner.name}` : "<none>";
    return [o.metadata.name ?? "", controller, o.revision, age(o, now)];
  },
  prepareForCreate(obj) {
    delete obj.metadata.generation;
  },
  validate(obj, old) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    if (typeof obj.revision === "number" && obj.revision < 0) causes.push(invalid("revision", obj.revision, "must be greater than or equal to 0"));
    if (old && !deepEqual(obj.data, old.data)) causes.push(immutable("data", obj.data));
    return causes;
  },
});
