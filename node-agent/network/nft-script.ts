// Proxy plans as nft scripts: the whole table (first sync: one transaction replaces whatever an
// earlier agent left), or the difference between two plans (every later sync). A difference never
// flushes the table: unchanged chains and map entries stay, and conntrack keeps every open
// connection on the endpoint it was given.
import { MASQUERADE_MARK, type ProxyPlan } from "./proxy-plan";

export const TABLE = "ip edgeplane";

export interface TableParams {
  /** Pod addresses of the whole cluster: traffic between them is never masqueraded. */
  clusterCIDR: string;
  /** This node's block and its bridge: pod egress leaving the cluster is masqueraded. */
  podCIDR: string;
  bridge: string;
}

const MAPS = {
  "service-ips": "ipv4_addr . inet_proto . inet_service : verdict",
  "service-nodeports": "inet_proto . inet_service : verdict",
  "no-endpoint-services": "ipv4_addr . inet_proto . inet_service : verdict",
  "no-endpoint-nodeports": "inet_proto . inet_service : verdict",
} as const;

type MapName = keyof typeof MAPS;

function mapsOf(plan: ProxyPlan): [MapName, Map<string, string>][] {
  return [
    ["service-ips", plan.serviceIps],
    ["service-nodeports", plan.nodePorts],
    ["no-endpoint-services", plan.noEndpointIps],
    ["no-endpoint-nodeports", plan.noEndpointNodePorts],
  ];
}

/** The fixed chains: hooks into the kernel's nat and filter stages that consult the maps. */
function baseChains(p: TableParams): [string, string, string[]][] {
  const mark = `0x${MASQUERADE_MARK.toString(16)}`;
  return [
    ["reject-endpoint", "", ["reject"]],
    ["services", "", [
      "ip daddr . meta l4proto . th dport vmap @service-ips",
      "fib daddr type local meta l4proto . th dport vmap @service-nodeports",
    ]],
    ["nat-prerouting", "type nat hook prerouting priority -105 ;", ["jump services"]],
    // NodePorts on 127.0.0.1 (route_localnet): the connection must leave with a routable source.
    ["nat-output", "type nat hook output priority -105 ;", [`ip saddr 127.0.0.0/8 fib daddr type local meta mark set meta mark | ${mark}`, "jump services"]],
    ["nat-postrouting", "type nat hook postrouting priority 95 ;", [
      // Only connections a Service rule rewrote: every other loopback connection on the machine
      // (a database that trusts 127.0.0.1) keeps its source.
      `meta mark & ${mark} == ${mark} ct status dnat masquerade`,
      // The node's own connections to a Service: the source picked for the ClusterIP's route (the
      // sink's address) would not lead a remote endpoint's reply back here.
      "ct status dnat fib saddr type local masquerade",
      `ip saddr ${p.podCIDR} ip daddr != ${p.clusterCIDR} oifname != "${p.bridge}" masquerade`,
    ]],
    ["endpoint-checks", "", [
      "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
    ]],
    ["filter-input", "type filter hook input priority -5 ;", [
      "ct state new jump endpoint-checks",
      "ct state new fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports",
    ]],
    ["filter-forward", "type filter hook forward priority -5 ;", [
      "ct state new jump endpoint-checks",
      // Pods think their link is 1500 bytes; an overlay device is smaller. Fit TCP to the route.
      "tcp flags syn tcp option maxseg size set rt mtu",
    ]],
    ["filter-output", "type filter hook output priority -5 ;", ["ct state new jump endpoint-checks"]],
  ];
}

function elementLine(map: string, key: string, value: string): string {
  return `add element ${TABLE} ${map} { ${key} : ${value} }`;
}

function setLine(name: string, timeoutSeconds: number): string {
  return `add set ${TABLE} ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeoutSeconds}s ; }`;
}

/** The whole table in one transaction: created if missing, else replaced atomically. */
export function fullScript(plan: ProxyPlan, params: TableParams): string {
  const lines = [`add table ${TABLE}`, `delete table ${TABLE}`, `add table ${TABLE}`];
  for (const [name, type] of Object.entries(MAPS)) lines.push(`add map ${TABLE} ${name} { type ${type} ; }`);
  for (const [name, seconds] of plan.affinitySets) lines.push(setLine(name, seconds));
  const base = baseChains(params);
  // Every chain exists before any rule names it.
  for (const name of plan.chains.keys()) lines.push(`add chain ${TABLE} ${name}`);
  for (const [name, hook] of base) lines.push(hook ? `add chain ${TABLE} ${name} { ${hook} }` : `add chain ${TABLE} ${name}`);
  for (const [name, rules] of plan.chains) for (const rule of rules) lines.push(`add rule ${TABLE} ${name} ${rule}`);
  for (const [name, , rules] of base) for (const rule of rules) lines.push(`add rule ${TABLE} ${name} ${rule}`);
  for (const [map, entries] of mapsOf(plan)) for (const [key, value] of entries) lines.push(elementLine(map, key, value));
  return `${lines.join("\n")}\n`;
}

function sameRules(a: string[] | undefined, b: string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((r, i) => r === b[i]);
}

/** What turns `prev` into `next`, or "" when nothing changed. */
export function diffScript(prev: ProxyPlan, next: ProxyPlan): string {
  const lines: string[] = [];
  // A set's name carries its timeout, so a changed timeout is a new set, never a changed one.
  for (const [name, seconds] of next.affinitySets) if (!prev.affinitySets.has(name)) lines.push(setLine(name, seconds));
  for (const name of next.chains.keys()) if (!prev.chains.has(name)) lines.push(`add chain ${TABLE} ${name}`);
  for (const [name, rules] of next.chains) {
    if (sameRules(prev.chains.get(name), rules)) continue;
    if (prev.chains.has(name)) lines.push(`flush chain ${TABLE} ${name}`);
    for (const rule of rules) lines.push(`add rule ${TABLE} ${name} ${rule}`);
  }
  const prevMaps = mapsOf(prev);
  mapsOf(next).forEach(([map, entries], i) => {
    const before = prevMaps[i]![1];
    for (const [key, value] of before) if (entries.get(key) !== value) lines.push(`delete element ${TABLE} ${map} { ${key} }`);
    for (const [key, value] of entries) if (before.get(key) !== value) lines.push(elementLine(map, key, value));
  });
  // Chains and sets go last, once nothing jumps to them.
  const gone = [...prev.chains.keys()].filter((name) => !next.chains.has(name));
  for (const name of gone) lines.push(`flush chain ${TABLE} ${name}`);
  for (const name of gone) lines.push(`delete chain ${TABLE} ${name}`);
  for (const name of prev.affinitySets.keys()) if (!next.affinitySets.has(name)) lines.push(`delete set ${TABLE} ${name}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
