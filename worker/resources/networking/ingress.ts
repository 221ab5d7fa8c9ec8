// Ingress (networking.k8s.io/v1, also accepting v1beta1 manifests converted on the way in):
// host/path rules to Service backends, TLS from Secrets; status is the ingress controller's.
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, bumpGenerationOnSpecChange, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { metadataNameCauses, type Cause } from "../shared/field-errors";
import { protocolSchema, typedLocalObjectReferenceSchema } from "../shared/common-schemas";
import { loadBalancerIngressString } from "../shared/print-cells";
import { asArray, asRecord, str } from "../../../shared/json";
import { convertIngressToV1beta1 } from "./ingress-v1beta1";
import { convertIngressFromV1beta1, validateIngressSpec } from "../shared/ingress-rules";

const MAX_HOSTS_LISTED = 3;

export const ingressBackendSchema = z.object({
  service: z
    .object({
      name: z.string(),
      port: z.object({ name: z.string().optional(), number: z.number().int().optional() }).optional(),
    })
    .optional(),
  resource: typedLocalObjectReferenceSchema.optional(),
});

export const ingressSchema = objectSchema({
  spec: z
    .object({
      ingressClassName: z.string().optional(),
      defaultBackend: ingressBackendSchema.optional(),
      tls: atomicList(z.object({ hosts: atomicList(z.string()).optional(), secretName: z.string().optional() })).optional(),
      rules: atomicList(
        z.object({
          host: z.string().optional(),
          http: z
            .object({
              paths: atomicList(
                z.object({
                  path: z.string().optional(),
                  pathType: z.string().nullable().optional(),
                  backend: ingressBackendSchema,
                }),
              ),
            })
            .optional(),
        }),
      ).optional(),
    })
    .optional(),
  status: z
    .object({
      loadBalancer: z
        .object({
          ingress: atomicList(
            z.object({
              ip: z.string().optional(),
              hostname: z.string().optional(),
              ports: atomicList(z.object({ port: z.number().int(), protocol: protocolSchema, error: z.string().optional() })).optional(),
            }),
          ).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** printers.go formatHosts: first three hosts, "*" when none. */
export function formatIngressHosts(spec: unknown): string {
  const rules = asArray(asRecord(spec)?.rules) ?? [];
  const list: string[] = [];
  for (const r of rules.slice(0, MAX_HOSTS_LISTED)) {
    const host = str(asRecord(r)?.host);
    if (host) list.push(host);
  }
  if (list.length === 0) return "*";
  const ret = list.join(",");
  return rules.length > MAX_HOSTS_LISTED ? `${ret} + ${rules.length - MAX_HOSTS_LISTED} more...` : ret;
}

export const ingresses = resource({
  group: "networking.k8s.io",
  version: "v1",
  servedVersions: ["v1beta1"],
  kind: "Ingress",
  listKind: "IngressList",
  plural: "ingresses",
  singular: "ingress",
  shortNames: ["ing"],
  namespaced: true,
  schema: ingressSchema,
  subresources: { status: true },
  printerColumns: [
    NAME_COLUMN,
    { name: "Class", type: "string", description: "The name of the IngressClass resource that should be used for additional configuration", priority: 0 },
    { name: "Hosts", type: "string", description: "Hosts that incoming requests are matched against before the ingress rule", priority: 0 },
    { name: "Address", type: "string", description: "Address is a list containing ingress points for the load-balancer", priority: 0 },
    { name: "Ports", type: "string", description: "Ports of TLS configurations that open", priority: 0 },
    AGE_COLUMN,
  ],
  printRow(o, now) {
    const spec = asRecord(o.spec) ?? {};
    return [
      o.metadata.name ?? "",
      str(spec.ingressClassName) ?? "<none>",
      formatIngressHosts(spec),
      loadBalancerIngressString(asRecord(o.status)?.loadBalancer),
      (asArray(spec.tls) ?? []).length ? "80, 443" : "80",
      age(o, now),
    ];
  },
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
    bumpGenerationOnSpecChange(obj, old);
  },
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    causes.push(...validateIngressSpec(asRecord(obj.spec) ?? {}));
    return causes;
  },
  convertOut(obj: KubeObject, toVersion: string): KubeObject {
    return toVersion === "v1beta1" ? convertIngressToV1beta1(obj) : obj;
  },
  convertIn(obj: KubeObject, fromVersion: string): KubeObject {
    return fromVersion === "v1beta1" ? convertIngressFromV1beta1(obj) : obj;
  },
});
