// A pod's /etc/resolv.conf, as kubelet writes it from dnsPolicy and dnsConfig: ClusterFirst names
// the cluster DNS with the namespace's search path and ndots:5; hostNetwork pods and Default
// get the node's own file; None takes only dnsConfig. Limits are kubelet's (3 servers, 32 searches).
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCHES = 32;

export interface PodDns {
  namespace: string;
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
}

export interface ClusterDns {
  clusterDNS: string;
  clusterDomain: string;
}

interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split("\n")) {
    const [word, ...rest] = line.trim().split(/\s+/);
    if (word === "nameserver" && rest[0]) conf.nameservers.push(rest[0]);
    else if (word === "search" || word === "domain") conf.searches = rest;
    else if (word === "options") for (const o of rest) conf.options.push(o.includes(":") ? { name: o.slice(0, o.indexOf(":")), value: o.slice(o.indexOf(":") + 1) } : { name: o });
  }
  return conf;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** The file's text for `pod`, given the cluster's DNS and the node's own resolv.conf. */
export function podResolvConf(pod: PodDns, cluster: ClusterDns, hostResolvConf: string): string {
  const host = parseResolvConf(hostResolvConf);
  const policy = pod.dnsPolicy ?? "ClusterFirst";
  let conf: ResolvConf;
  if (policy === "None") conf = { nameservers: [], searches: [], options: [] };
  else if (policy === "Default" || (policy === "ClusterFirst" && pod.hostNetwork)) conf = host;
  else {
    const domain = cluster.clusterDomain;
    conf = {
      nameservers: [cluster.clusterDNS],
      searches: [`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches],
      options: [{ name: "ndots", value: "5" }],
    };
  }
  const extra = pod.dnsConfig ?? {};
  const options = [...conf.options];
  for (const o of extra.options ?? []) {
    const at = options.findIndex((x) => x.name === o.name);
    if (at >= 0) options[at] = o;
    else options.push(o);
  }
  const nameservers = unique([...conf.nameservers, ...(extra.nameservers ?? [])]).slice(0, MAX_NAMESERVERS);
  const searches = unique([...conf.searches, ...(extra.searches ?? [])]).slice(0, MAX_SEARCHES);
  const lines = [
    ...nameservers.map((n) => `nameserver ${n}`),
    ...(searches.length > 0 ? [`search ${searches.join(" ")}`] : []),
    ...(options.length > 0 ? [`options ${options.map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`)).join(" ")}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}
