// The cluster's DNS records, as CoreDNS's kubernetes plugin serves them (the DNS-based service
// discovery spec): Services, headless endpoints with their hostnames (StatefulSet pods), SRV for
// named ports, ExternalName CNAMEs, PTR for Service and endpoint addresses, and dashed pod names.
// Pure: rebuilt from the service catalog on every change, read by the server.
import { ipOfReverseName, ipToInt, reverseName } from "../../../shared/ipv4";
import type { EndpointSlice, Service } from "../service-catalog";

/** CoreDNS's default TTL for cluster records: clients re-ask soon after endpoints change. */
export const RECORD_TTL_SECONDS = 5;

export type ZoneRecord =
  | { type: "A"; name: string; data: string }
  | { type: "CNAME"; name: string; data: string }
  | { type: "PTR"; name: string; data: string }
  | { type: "SRV"; name: string; data: { priority: number; weight: number; port: number; target: string } };

export interface ZoneAnswer {
  /** 0 NOERROR (possibly with no answers: the name exists, not with that type), 3 NXDOMAIN. */
  rcode: 0 | 3;
  answers: ZoneRecord[];
  additionals: ZoneRecord[];
}

function lower(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

export class ClusterZone {
  private records = new Map<string, ZoneRecord[]>();
  /** Names that exist with no records of their own (parents of records): NOERROR, not NXDOMAIN. */
  private interior = new Set<string>();
  private readonly suffix: string;

  constructor(readonly domain: string) {
    this.suffix = `.${lower(domain)}`;
  }

  /** Whether a name is this server's to answer (else it is forwarded upstream). */
  owns(name: string): boolean {
    const n = lower(name);
    if (n === lower(this.domain) || n.endsWith(this.suffix)) return true;
    const ip = ipOfReverseName(n);
    return ip !== undefined && this.records.has(n);
  }

  rebuild(services: Iterable<Service>, slicesOf: (namespace: string, name: string) => EndpointSlice[]): void {
    const records = new Map<string, ZoneRecord[]>();
    const add = (record: ZoneRecord) => {
      const key = lower(record.name);
      const list = records.get(key);
      if (!list) records.set(key, [record]);
      else if (!list.some((r) => r.type === record.type && JSON.stringify(r.data) === JSON.stringify(record.data))) list.push(record);
    };
    for (const svc of services) {
      const { name, namespace } = svc.metadata;
      const spec = svc.spec ?? {};
      const fqdn = `${name}.${namespace}.svc.${this.domain}`;
      const namedPorts = (spec.ports ?? []).filter((p) => p.name);
      if (spec.type === "ExternalName") {
        if (spec.externalName) add({ type: "CNAME", name: fqdn, data: lower(spec.externalName) });
        continue;
      }
      if (spec.clusterIP && spec.clusterIP !== "None") {
        add({ type: "A", name: fqdn, data: spec.clusterIP });
        add({ type: "PTR", name: reverseName(spec.clusterIP), data: fqdn });
        for (const p of namedPorts) {
          add({ type: "SRV", name: `_${p.name}._${(p.protocol ?? "TCP").toLowerCase()}.${fqdn}`, data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
        }
        continue;
      }
      // Headless: every ready endpoint, by IP and by its hostname (or its dashed address).
      const hosts = new Map<string, string>();
      const slicePorts: { name: string; protocol: string; port: number }[] = [];
      for (const slice of slicesOf(namespace, name)) {
        if (slice.addressType && slice.addressType !== "IPv4") continue;
        for (const p of slice.ports ?? []) if (p.name && typeof p.port === "number") slicePorts.push({ name: p.name, protocol: (p.protocol ?? "TCP").toLowerCase(), port: p.port });
        for (const endpoint of slice.endpoints ?? []) {
          if (endpoint.conditions?.ready === false) continue;
          for (const ip of endpoint.addresses ?? []) {
            if (ipToInt(ip) === undefined) continue;
            hosts.set(endpoint.hostname ?? ip.replace(/\./g, "-"), ip);
          }
        }
      }
      for (const [host, ip] of hosts) {
        const hostFqdn = `${host}.${fqdn}`;
        add({ type: "A", name: fqdn, data: ip });
        add({ type: "A", name: hostFqdn, data: ip });
        add({ type: "PTR", name: reverseName(ip), data: hostFqdn });
        for (const p of slicePorts) add({ type: "SRV", name: `_${p.name}._${p.protocol}.${fqdn}`, data: { priority: 0, weight: Math.floor(100 / hosts.size) || 1, port: p.port, target: hostFqdn } });
      }
      // A headless Service with no ready endpoint still exists: NODATA, not NXDOMAIN.
      if (hosts.size === 0 && !records.has(lower(fqdn))) records.set(lower(fqdn), []);
    }
    const interior = new Set<string>();
    for (const key of records.keys()) {
      if (!key.endsWith(this.suffix)) continue;
      let parent = key;
      while ((parent = parent.slice(parent.indexOf(".") + 1)) && parent.length >= lower(this.domain).length) {
        if (!records.has(parent)) interior.add(parent);
        if (parent === lower(this.domain)) break;
      }
    }
    this.records = records;
    this.interior = interior;
  }

  lookup(name: string, type: string): ZoneAnswer {
    const key = lower(name);
    const dashed = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9-]+\.pod\./.exec(key);
    if (dashed && key.endsWith(`.pod${this.suffix}`)) {
      const ip = `${dashed[1]}.${dashed[2]}.${dashed[3]}.${dashed[4]}`;
      if (ipToInt(ip) !== undefined) return { rcode: 0, answers: type === "A" ? [{ type: "A", name, data: ip }] : [], additionals: [] };
    }
    const found = this.records.get(key);
    if (!found) return { rcode: this.interior.has(key) || key === lower(this.domain) ? 0 : 3, answers: [], additionals: [] };
    const cname = found.find((r) => r.type === "CNAME");
    const matching = cname && type !== "CNAME" ? [cname] : found.filter((r) => r.type === type);
    // Owner names echo the question's spelling (resolvers may randomise the case).
    const answers = matching.map((r) => ({ ...r, name }) as ZoneRecord);
    const additionals: ZoneRecord[] = [];
    for (const r of matching) {
      if (r.type !== "SRV") continue;
      for (const a of this.records.get(lower(r.data.target)) ?? []) if (a.type === "A") additionals.push(a);
    }
    return { rcode: 0, answers, additionals };
  }
}
