// Validation causes worded as apimachinery's field.Error prints them ("Required value",
// "Invalid value: 8080: must be …"), plus the name/port/key/IP rules several kinds share.
import { dns1123LabelErrors, dns1123SubdomainErrors } from "../meta";

export interface Cause {
  field: string;
  reason: string;
  message: string;
}

/** The bad value as Go's field.Error formats it: strings quoted, numbers bare, []string{…}. */
export function goValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return `[]string{${v.map((x) => JSON.stringify(x)).join(", ")}}`;
  return JSON.stringify(v);
}

export function required(field: string, detail = ""): Cause {
  return { field, reason: "FieldValueRequired", message: detail ? `Required value: ${detail}` : "Required value" };
}

export function invalid(field: string, value: unknown, detail: string): Cause {
  return { field, reason: "FieldValueInvalid", message: `Invalid value: ${goValue(value)}${detail ? `: ${detail}` : ""}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): Cause {
  const list = supported.map((s) => JSON.stringify(s)).join(", ");
  return { field, reason: "FieldValueNotSupported", message: `Unsupported value: ${goValue(value)}: supported values: ${list}` };
}

export function duplicate(field: string, value: unknown, detail = ""): Cause {
  return { field, reason: "FieldValueDuplicate", message: `Duplicate value: ${goValue(value)}${detail ? `: ${detail}` : ""}` };
}

export function forbidden(field: string, detail: string): Cause {
  return { field, reason: "FieldValueForbidden", message: `Forbidden: ${detail}` };
}

/** apimachinery ValidateImmutableField. */
export function immutable(field: string, value: unknown): Cause {
  return invalid(field, value, "field is immutable");
}

export function dns1123LabelCauses(field: string, value: string): Cause[] {
  return dns1123LabelErrors(value).map((m) => invalid(field, value, m));
}

export function dns1123SubdomainCauses(field: string, value: string): Cause[] {
  return dns1123SubdomainErrors(value).map((m) => invalid(field, value, m));
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function dns1035LabelCauses(field: string, value: string): Cause[] {
  const out: Cause[] = [];
  if (value.length > 63) out.push(invalid(field, value, "must be no more than 63 characters"));
  if (!DNS1035_LABEL.test(value)) {
    out.push(
      invalid(
        field,
        value,
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ),
    );
  }
  return out;
}

export type NameRule = "label" | "subdomain" | "dns1035";

/** metadata.name under the kind's rule (ValidateObjectMeta's name check). */
export function metadataNameCauses(name: string | undefined, rule: NameRule): Cause[] {
  if (!name) return [];
  if (rule === "label") return dns1123LabelCauses("metadata.name", name);
  if (rule === "dns1035") return dns1035LabelCauses("metadata.name", name);
  return dns1123SubdomainCauses("metadata.name", name);
}

export function portNumCauses(field: string, port: unknown): Cause[] {
  if (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) return [];
  return [invalid(field, port, "must be between 1 and 65535, inclusive")];
}

/** validation.IsValidPortName (IANA service names). */
export function portNameCauses(field: string, name: string): Cause[] {
  const msgs: string[] = [];
  if (name.length > 15) msgs.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(name)) msgs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(name)) msgs.push("must contain at least one letter (a-z)");
  if (name.startsWith("-") || name.endsWith("-")) msgs.push("must not begin or end with a hyphen");
  if (name.includes("--")) msgs.push("must not contain consecutive hyphens");
  return msgs.map((m) => invalid(field, name, m));
}

/** ValidatePortNumOrName (targetPort, containerPort references). */
export function portNumOrNameCauses(field: string, value: unknown): Cause[] {
  if (typeof value === "number") return portNumCauses(field, value);
  if (typeof value === "string") {
    if (value === "") return [];
    return portNameCauses(field, value);
  }
  return [];
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** validation.IsConfigMapKey (ConfigMap and Secret data keys). */
export function configKeyCauses(field: string, key: string): Cause[] {
  const msgs: string[] = [];
  if (key.length > 253) msgs.push("must be no more than 253 characters");
  if (!CONFIG_KEY.test(key)) {
    msgs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (key === ".") msgs.push("must not be '.'");
  else if (key === "..") msgs.push("must not be '..'");
  else if (key.startsWith("..")) msgs.push("must not start with '..'");
  return msgs.map((m) => invalid(field, key, m));
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_FMT =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** validation.IsQualifiedName (label keys, taint keys, provisioner names). */
export function qualifiedNameCauses(field: string, value: string): Cause[] {
  const parts = value.split("/");
  const msgs: string[] = [];
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) msgs.push("prefix part must be non-empty");
    else for (const m of dns1123SubdomainErrors(prefix)) msgs.push(`prefix part ${m}`);
  } else if (parts.length > 2) {
    return [invalid(field, value, `a qualified name ${QUALIFIED_NAME_FMT} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`)];
  }
  if (name.length === 0) msgs.push("name part must be non-empty");
  else if (name.length > 63) msgs.push("name part must be no more than 63 characters");
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) msgs.push(`name part ${QUALIFIED_NAME_FMT}`);
  return msgs.map((m) => invalid(field, value, m));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

export function isIPv6(value: string): boolean {
  if (!value.includes(":") || /[^0-9a-fA-F:.]/.test(value)) return false;
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isIP(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

export function ipCauses(field: string, value: string): Cause[] {
  return isIP(value) ? [] : [invalid(field, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")];
}

export function cidrCauses(field: string, value: string): Cause[] {
  const [ip, bits, extra] = value.split("/");
  const n = Number(bits);
  const max = ip && isIPv4(ip) ? 32 : 128;
  const ok = extra === undefined && ip !== undefined && isIP(ip) && bits !== undefined && /^\d+$/.test(bits) && n <= max;
  return ok ? [] : [invalid(field, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")];
}

/** Every immutable-when-`immutable` cause of ConfigMap and Secret. */
export function immutableDataCauses(fields: string[], obj: Record<string, unknown>, old: Record<string, unknown>, equal: (a: unknown, b: unknown) => boolean): Cause[] {
  if (old.immutable !== true) return [];
  const out: Cause[] = [];
  const msg = "field is immutable when `immutable` is set";
  if (obj.immutable !== true) out.push(forbidden("immutable", msg));
  for (const f of fields) if (!equal(obj[f] ?? {}, old[f] ?? {})) out.push(forbidden(f, msg));
  return out;
}
