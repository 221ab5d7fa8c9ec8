// IPv4 arithmetic for the pod network: CIDRs as (base, prefix), membership, reverse names.
export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(text: string): Cidr {
  const [ip, bits] = text.split("/");
  const prefix = Number(bits);
  const n = ipToInt(ip ?? "");
  if (n === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${text}`);
  const size = 2 ** (32 - prefix);
  return { base: n - (n % size), prefix };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  if (n === undefined) return false;
  const size = 2 ** (32 - cidr.prefix);
  return n - (n % size) === cidr.base;
}

export function formatCidr(cidr: Cidr): string {
  return `${intToIp(cidr.base)}/${cidr.prefix}`;
}

/** The first host address of a block: the bridge's gateway (Docker's bridge driver picks it too). */
export function gatewayOf(cidr: Cidr): string {
  return intToIp(cidr.base + 1);
}

/** `10.96.0.10` → `10.0.96.10.in-addr.arpa`. */
export function reverseName(ip: string): string {
  return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
}

/** `10.0.96.10.in-addr.arpa` → `10.96.0.10`, or undefined for any other name. */
export function ipOfReverseName(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/i.exec(name);
  if (!m) return undefined;
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  return ipToInt(ip) === undefined ? undefined : ip;
}
