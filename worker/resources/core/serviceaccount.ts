// ServiceAccount (core/v1): token secrets (merged by name) and image pull secrets.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, mapList, objectSchema, resource } from "../meta";
import { metadataNameCauses } from "../shared/field-errors";
import { localObjectReferenceSchema, objectReferenceSchema } from "../shared/common-schemas";
import { dropGeneration } from "../shared/prepare-helpers";
import { asArray } from "../../../shared/json";

export const serviceAccountSchema = objectSchema({
  secrets: mapList(objectReferenceSchema, "name").optional(),
  imagePullSecrets: atomicList(localObjectReferenceSchema).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});

export const serviceaccounts = resource({
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  listKind: "ServiceAccountList",
  plural: "serviceaccounts",
  singular: "serviceaccount",
  shortNames: ["sa"],
  namespaced: true,
  schema: serviceAccountSchema,
  subresources: { token: true },
  printerColumns: [
    NAME_COLUMN,
    { name: "Secrets", type: "string", description: "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", (asArray(o.secrets) ?? []).length, age(o, now)],
  prepareForCreate: (obj) => dropGeneration(obj),
  validate: (obj) => metadataNameCauses(obj.metadata.name, "subdomain"),
});
