// IPv4 addresses as numbers, CIDR blocks, and reverse (in-addr.arpa) names: the Worker allocates
// Service and pod addresses with them, the agent routes and answers DNS with them.
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

/** The network address of a block: `10.244.1.7/24` → `10.244.1.0`. */
export function networkAddress(cidr: string): string {
  const [ip, bits] = cidr.split("/");
  const n = ipToInt(ip ?? "");
  const prefix = Number(bits);
  if (n === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 block: ${cidr}`);
  return intToIp(prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/** A CIDR block as its first address and size: `10.96.0.0/12` → base 10.96.0.0, 2^20 addresses. */
export function parseCidr(cidr: string): { base: number; prefix: number; size: number } {
  const [ip, bits] = cidr.split("/");
  const base = ipToInt(ip ?? "");
  const prefix = Number(bits ?? "32");
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 block: ${cidr}`);
  const size = 2 ** (32 - prefix);
  return { base: size === 2 ** 32 ? 0 : (base & ~(size - 1)) >>> 0, prefix, size };
}

/** Whether `ip` (as a number) lies in the block. */
export function inCidr(ip: number, block: { base: number; size: number }): boolean {
  return ip >= block.base && ip < block.base + block.size;
}
