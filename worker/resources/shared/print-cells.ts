// Cell formatting shared by several kinds' printRow, following kubectl's server-side
// printers (pkg/printers/internalversion/printers.go) so tables read as upstream's.
import { humanDuration } from "../../../shared/human-duration";
import { asArray, asRecord, str } from "../../../shared/json";

/** translateTimestampSince: "<unknown>" for a zero/absent time. */
export function since(ts: unknown, now: Date): string {
  if (typeof ts !== "string" || ts === "") return "<unknown>";
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return "<unknown>";
  return humanDuration(now.getTime() - t);
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabels(m: unknown): string {
  const r = asRecord(m);
  const keys = r ? Object.keys(r).sort() : [];
  if (keys.length === 0) return "<none>";
  return keys.map((k) => `${k}=${String(r![k])}`).join(",");
}

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, duplicates dropped. */
export function accessModesString(modes: unknown): string {
  const list = (asArray(modes) ?? []).filter((m): m is string => typeof m === "string");
  const out: string[] = [];
  if (list.includes("ReadWriteOnce")) out.push("RWO");
  if (list.includes("ReadOnlyMany")) out.push("ROX");
  if (list.includes("ReadWriteMany")) out.push("RWX");
  if (list.includes("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

/** loadBalancerStatusStringer with wide=true (server-side tables are always generated wide). */
export function loadBalancerIngressString(lb: unknown): string {
  const ingress = asArray(asRecord(lb)?.ingress) ?? [];
  const out: string[] = [];
  for (const i of ingress) {
    const ip = str(asRecord(i)?.ip);
    const host = str(asRecord(i)?.hostname);
    if (ip) out.push(ip);
    else if (host) out.push(host);
  }
  return out.join(",");
}

/** net.JoinHostPort: IPv6 hosts are bracketed. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "a,b,c + 2 more..." as kubectl abbreviates long lists. */
export function listWithMore(list: string[], total: number, max: number): string {
  const ret = list.join(",");
  return total > max ? `${ret} + ${total - max} more...` : ret;
}
