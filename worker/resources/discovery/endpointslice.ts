// EndpointSlice (discovery.k8s.io/v1): the endpoints controller's per-Service slices;
// kubectl describe service reads them. addressType is fixed after creation.
import { z } from "zod";
import { deepEqual } from "../../../shared/deep-equal";
import { AGE_COLUMN, NAME_COLUMN, age, atomicList, objectSchema, resource, stringMap } from "../meta";
import type { KubeObject } from "../types";
import { dns1123LabelCauses, dns1123SubdomainCauses, immutable, invalid, isIPv4, isIPv6, metadataNameCauses, portNumCauses, required, type Cause } from "../shared/field-errors";
import { objectReferenceSchema, protocolSchema } from "../shared/common-schemas";
import { asArray, records, str } from "../../../shared/json";

const MAX_LISTED = 3;
const MAX_ADDRESSES = 100;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;

export const endpointSliceSchema = objectSchema({
  addressType: z.enum(["FQDN", "IPv4", "IPv6"]),
  endpoints: atomicList(
    z.object({
      addresses: z.array(z.string()).meta({ "x-kubernetes-list-type": "set" }),
      conditions: z.object({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).optional(),
      hostname: z.string().optional(),
      targetRef: objectReferenceSchema.optional(),
      deprecatedTopology: stringMap.optional(),
      nodeName: z.string().optional(),
      zone: z.string().optional(),
      hints: z.object({ forZones: atomicList(z.object({ name: z.string() })).optional() }).optional(),
    }),
  ),
  ports: atomicList(
    z.object({
      name: z.string().optional(),
      protocol: protocolSchema.optional(),
      port: z.number().int().optional(),
      appProtocol: z.string().optional(),
    }),
  ).optional(),
});


function listWithMore(list: string[], count: number): string {
  const ret = list.join(",");
  if (count > MAX_LISTED) return `${ret} + ${count - MAX_LISTED} more...`;
  return ret === "" ? "<unset>" : ret;
}

/** printers.go formatDiscoveryPorts / formatDiscoveryEndpoints. */
export function formatSlicePorts(obj: KubeObject): string {
  const ports = records(obj.ports);
  const list = ports.slice(0, MAX_LISTED).map((p) => (typeof p.port === "number" ? String(p.port) : (str(p.name) ?? "*")));
  return listWithMore(list, ports.length);
}

export function formatSliceEndpoints(obj: KubeObject): string {
  const addresses = records(obj.endpoints).flatMap((e) => (asArray(e.addresses) ?? []).map(String));
  return listWithMore(addresses.slice(0, MAX_LISTED), addresses.length);
}

/** SetDefaults_EndpointPort: name "" and protocol TCP. */
function applyDefaults(obj: KubeObject): void {
  if (obj.endpoints === undefined) obj.endpoints = [];
  for (const p of records(obj.ports)) {
    if (p.name === undefined) p.name = "";
    if (p.protocol === undefined) p.protocol = "TCP";
  }
}

function addressCauses(path: string, type: unknown, address: string): Cause[] {
  if (type === "IPv4" && !isIPv4(address)) return [invalid(path, address, "must be a valid IPv4 address")];
  if (type === "IPv6" && !isIPv6(address)) return [invalid(path, address, "must be a valid IPv6 address")];
  if (type === "FQDN") return dns1123SubdomainCauses(path, address);
  return [];
}

function validateSlice(obj: KubeObject, old?: KubeObject): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const endpoints = records(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) causes.push({ field: "endpoints", reason: "FieldValueTooMany", message: `Too many: ${endpoints.length}: must have at most ${MAX_ENDPOINTS} items` });
  endpoints.forEach((e, i) => {
    const addresses = (asArray(e.addresses) ?? []).map(String);
    if (addresses.length === 0) causes.push(required(`endpoints[${i}].addresses`, "must contain at least 1 address"));
    else if (addresses.length > MAX_ADDRESSES) causes.push({ field: `endpoints[${i}].addresses`, reason: "FieldValueTooMany", message: `Too many: ${addresses.length}: must have at most ${MAX_ADDRESSES} items` });
    addresses.forEach((a, j) => causes.push(...addressCauses(`endpoints[${i}].addresses[${j}]`, obj.addressType, a)));
    if (typeof e.hostname === "string") causes.push(...dns1123LabelCauses(`endpoints[${i}].hostname`, e.hostname));
  });
  const ports = records(obj.ports);
  if (ports.length > MAX_PORTS) causes.push({ field: "ports", reason: "FieldValueTooMany", message: `Too many: ${ports.length}: must have at most ${MAX_PORTS} items` });
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const name = str(p.name) ?? "";
    if (name) causes.push(...dns1123LabelCauses(`ports[${i}].name`, name));
    if (names.has(name)) causes.push({ field: `ports[${i}].name`, reason: "FieldValueDuplicate", message: `Duplicate value: ${JSON.stringify(name)}` });
    names.add(name);
    if (p.port !== undefined) causes.push(...portNumCauses(`ports[${i}].port`, p.port));
  });
  if (old && old.addressType !== obj.addressType) causes.push(immutable("addressType", obj.addressType));
  return causes;
}

export const endpointslices = resource({
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  listKind: "EndpointSliceList",
  plural: "endpointslices",
  allowCreateOnUpdate: true,
  singular: "endpointslice",
  namespaced: true,
  schema: endpointSliceSchema,
  subresources: {},
  printerColumns: [
    NAME_COLUMN,
    { name: "AddressType", type: "string", description: "addressType specifies the type of address carried by this EndpointSlice.", priority: 0 },
    { name: "Ports", type: "string", description: "ports specifies the list of network ports exposed by each endpoint in this slice.", priority: 0 },
    { name: "Endpoints", type: "string", description: "endpoints is a list of unique endpoints in this slice.", priority: 0 },
    AGE_COLUMN,
  ],
  printRow: (o, now) => [o.metadata.name ?? "", str(o.addressType) ?? "", formatSlicePorts(o), formatSliceEndpoints(o), age(o, now)],
  prepareForCreate: (obj) => applyDefaults(obj),
  prepareForUpdate(obj, old) {
    applyDefaults(obj);
    // endpointSliceStrategy bumps generation when endpoints, ports or addressType change.
    const changed = ["endpoints", "ports", "addressType"].some((k) => !deepEqual(obj[k], old[k]));
    const gen = old.metadata.generation ?? 1;
    obj.metadata.generation = changed ? gen + 1 : gen;
  },
  validate: validateSlice,
});
