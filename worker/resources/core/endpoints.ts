// Endpoints (core/v1): the endpoints controller's address lists per Service. Subsets are
// atomic; kubectl prints the first three host:port pairs and "+ N more...".
import { z } from "zod";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, objectSchema, resource } from "../meta";
import type { KubeObject } from "../types";
import { dns1123LabelCauses, invalid, ipCauses, metadataNameCauses, portNumCauses, required, type Cause } from "../shared/field-errors";
import { objectReferenceSchema, protocolSchema } from "../shared/common-schemas";
import { joinHostPort } from "../shared/print-cells";
import { dropGeneration } from "../shared/prepare-helpers";
import { records, str } from "../../../shared/json";

const MAX_LISTED = 3;

const endpointAddressSchema = z.object({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: objectReferenceSchema.optional(),
});

const endpointPortSchema = z.object({
  name: z.string().optional(),
  port: z.number().int(),
  protocol: protocolSchema.optional(),
  appProtocol: z.string().optional(),
});

export const endpointsSchema = objectSchema({
  subsets: atomicList(
    z.object({
      addresses: atomicList(endpointAddressSchema).optional(),
      notReadyAddresses: atomicList(endpointAddressSchema).optional(),
      ports: atomicList(endpointPortSchema).optional(),
    }),
  ).optional(),
});


/** printers.go formatEndpoints with no port filter. */
export function formatEndpoints(obj: KubeObject): string {
  const subsets = records(obj.subsets);
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = records(ss.addresses);
    const ports = records(ss.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) if (list.length < MAX_LISTED) list.push(str(a.ip) ?? "");
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) if (list.length < MAX_LISTED) list.push(joinHostPort(str(a.ip) ?? "", String(p.port)));
    }
  }
  const ret = list.join(",");
  return count > MAX_LISTED ? `${ret} + ${count - MAX_LISTED} more...` : ret;
}

function addressCauses(path: string, a: Record<string, unknown>): Cause[] {
  const ip = str(a.ip) ?? "";
  const out = ipCauses(`${path}.ip`, ip);
  if (out.length === 0) {
    if (/^127\./.test(ip) || ip === "::1") out.push(invalid(`${path}.ip`, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
    else if (/^169\.254\./.test(ip) || /^fe80:/i.test(ip)) out.push(invalid(`${path}.ip`, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  }
  if (typeof a.hostname === "string" && a.hostname !== "") out.push(...dns1123LabelCauses(`${path}.hostname`, a.hostname));
  return out;
}

export const endpoints = resource({
  group: "",
  version: "v1",
  kind: "Endpoints",
  listKind: "EndpointsList",
  plural: "endpoints",
  allowCreateOnUpdate: true,
  singular: "endpoints",
  shortNames: ["ep"],
  namespaced: true,
  schema: endpointsSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "Endpoints", type: "string", description: "The set of all endpoints is the union of all subsets.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", formatEndpoints(o), age(o, now)],
  prepareForCreate(obj) {
    dropGeneration(obj);
    applyDefaults(obj);
  },
  prepareForUpdate: (obj) => applyDefaults(obj),
  validate(obj) {
    const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
    records(obj.subsets).forEach((ss, i) => {
      const path = `subsets[${i}]`;
      records(ss.addresses).forEach((a, j) => causes.push(...addressCauses(`${path}.addresses[${j}]`, a)));
      records(ss.notReadyAddresses).forEach((a, j) => causes.push(...addressCauses(`${path}.notReadyAddresses[${j}]`, a)));
      const ports = records(ss.ports);
      ports.forEach((p, j) => {
        const name = str(p.name) ?? "";
        if (ports.length > 1 && name === "") causes.push(required(`${path}.ports[${j}].name`));
        else if (name) causes.push(...dns1123LabelCauses(`${path}.ports[${j}].name`, name));
        causes.push(...portNumCauses(`${path}.ports[${j}].port`, p.port));
      });
    });
    return causes;
  },
});

/** SetDefaults_Endpoints: port protocol TCP. */
function applyDefaults(obj: KubeObject): void {
  for (const ss of records(obj.subsets)) for (const p of records(ss.ports)) if (!p.protocol) p.protocol = "TCP";
}
