// IngressClass (networking.k8s.io/v1, cluster-scoped): which controller serves an Ingress
// class, with optional parameters; the controller name is fixed once set.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, bumpGenerationOnSpecChange, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { dns1123SubdomainCauses, forbidden, immutable, invalid, metadataNameCauses, notSupported, required, type Cause } from "../shared/field-errors";
import { specOf } from "../shared/prepare-helpers";
import { asRecord, str } from "../../../shared/json";

const MAX_CONTROLLER_LENGTH = 250;
const SCOPES = ["Cluster", "Namespace"];

export const ingressClassSchema = objectSchema({
  spec: z
    .object({
      controller: z.string().optional(),
      parameters: z
        .object({
          apiGroup: z.string().optional(),
          kind: z.string(),
          name: z.string(),
          scope: z.string().optional(),
          namespace: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});

/** SetDefaults_IngressClass: parameters default to cluster scope. */
function applyDefaults(obj: KubeObject): void {
  const parameters = asRecord(specOf(obj)?.parameters);
  if (parameters && parameters.scope === undefined) parameters.scope = "Cluster";
}

function validateIngressClass(obj: KubeObject, old?: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const spec = asRecord(obj.spec) ?? {};
  const controller = str(spec.controller) ?? "";
  if (controller === "") causes.push(required("spec.controller"));
  else if (controller.length > MAX_CONTROLLER_LENGTH) causes.push({ field: "spec.controller", reason: "FieldValueTooLong", message: `Too long: may not be more than ${MAX_CONTROLLER_LENGTH} bytes` });
  else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/\S+$/.test(controller)) {
    causes.push(invalid("spec.controller", controller, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
  }
  const params = asRecord(spec.parameters);
  if (params) {
    if (!str(params.kind)) causes.push(required("spec.parameters.kind"));
    if (!str(params.name)) causes.push(required("spec.parameters.name"));
    const scope = str(params.scope);
    if (scope !== undefined && !SCOPES.includes(scope)) causes.push(notSupported("spec.parameters.scope", scope, SCOPES));
    const ns = str(params.namespace);
    if (scope === "Namespace") {
      if (!ns) causes.push(required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"));
      else causes.push(...dns1123SubdomainCauses("spec.parameters.namespace", ns));
    } else if (scope === "Cluster" && ns !== undefined) {
      causes.push(forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"));
    }
  }
  if (old && (str(asRecord(old.spec)?.controller) ?? "") !== controller) causes.push(immutable("spec.controller", controller));
  return causes;
}

export const ingressclasses = resource({
  group: "networking.k8s.io",
  version: "v1",
  kind: "IngressClass",
  listKind: "IngressClassList",
  plural: "ingressclasses",
  singular: "ingressclass",
  namespaced: false,
  schema: ingressClassSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Controller", type: "string", description: "Controller that is responsible for handling this class", priority: 0 },
    { name: "Parameters", type: "string", description: "A reference to a resource with additional parameters", priority: 0 },
    AGE_COLUMN,
  ],
  printRow(o, now) {
    const spec = asRecord(o.spec) ?? {};
    const p = asRecord(spec.parameters);
    const parameters = p ? `${str(p.kind) ?? ""}${p.apiGroup !== undefined ? `.${str(p.apiGroup) ?? ""}` : ""}/${str(p.name) ?? ""}` : "<none>";
    return [o.metadata.name ?? "", str(spec.controller) ?? "", parameters, age(o, now)];
  },
  prepareForCreate: (obj) => applyDefaults(obj),
  prepareForUpdate(obj, old) {
    applyDefaults(obj);
    bumpGenerationOnSpecChange(obj, old);
  },
  validate: validateIngressClass,
});
