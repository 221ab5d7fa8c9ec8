// From the cluster's Ingresses, Services, EndpointSlices and TLS Secrets to one routing table:
// which Ingresses are ours, host keys (exact, `*.` wildcard, catch-all), each host's paths in
// the spec's precedence, the backends with their ready endpoints, and the certificates by name.
// Pure: the nginx rendering and the process are elsewhere.
import { X509Certificate } from "node:crypto";
import type { EndpointSlice, Service } from "../network/service-catalog";
import { routeOptions, type RouteOptions } from "./annotations";
import {
  DEFAULT_CLASS_ANNOTATION,
  DEFAULT_INGRESS_CLASS,
  INGRESS_CONTROLLER,
  LEGACY_CLASS_ANNOTATION,
  type Ingress,
  type IngressBackend,
  type IngressClass,
  type TlsSecret,
} from "./types";

/** Host key of rules without a host: they serve any Host no rule names. */
export const CATCH_ALL = "_";
/** What ingress-nginx users create for a custom default backend (the course does too). */
export const DEFAULT_HTTP_BACKEND = "default-http-backend";
const DEFAULT_HTTP_BACKEND_NAMESPACES = ["kube-system", "default"];

export interface Endpoint {
  ip: string;
  port: number;
}

export type Backend =
  | { kind: "service"; id: string; namespace: string; service: string; endpoints: Endpoint[] }
  /** A backend that cannot be reached: answered with `status` and this message. */
  | { kind: "error"; id: string; status: number; message: string };

export type MatchKind = "Exact" | "Prefix" | "Regex";

export interface Route extends Omit<RouteOptions, "problems"> {
  id: string;
  hostKey: string;
  match: MatchKind;
  /** Exact and Prefix: the normalised path; Regex: the expression. */
  path: string;
  backendId: string;
  /** The host has TLS from this Ingress (so plain HTTP is redirected unless turned off). */
  tls: boolean;
  ingress: string;
}

export interface Certificate {
  /** `namespace/name` of the kubernetes.io/tls Secret. */
  secret: string;
  /** SNI names it serves (exact or `*.` wildcard). */
  hosts: string[];
  /** tls.crt then tls.key, PEM, as nginx reads a certificate and its key from one file. */
  pem: string;
}

export interface RouteTable {
  /** Host keys with at least one route. */
  hosts: string[];
  /** In matching order: Exact, then Regex (longest first), then Prefix (longest first). */
  routes: Route[];
  backends: Map<string, Backend>;
  defaultBackendId?: string;
  certificates: Certificate[];
  /** Why an Ingress or part of it is not served (bad values, missing Secrets). */
  problems: string[];
}

export interface RouteSources {
  ingresses: Iterable<Ingress>;
  classes: Iterable<IngressClass>;
  services: ReadonlyMap<string, Service>;
  slicesOf(namespace: string, service: string): EndpointSlice[];
  secrets: ReadonlyMap<string, TlsSecret>;
  /**
   * Regular-expression paths nginx refused (its PCRE differs from JavaScript's checks), without a
   * leading `^`: left out and reported, so one bad path never holds back every other route.
   */
  refusedRegex?: ReadonlySet<string>;
}

const key = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * Whether this controller serves `ingress`: its class (spec field, else the legacy annotation)
 * is one whose IngressClass names our controller, or it names none and no other controller's
 * class is the default. Our own class counts as ours even before its object exists.
 */
export function isOurs(ingress: Ingress, classes: Iterable<IngressClass>): boolean {
  const list = [...classes];
  const named = ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (named !== undefined && named !== "") {
    const cls = list.find((c) => c.metadata.name === named);
    return cls ? cls.spec?.controller === INGRESS_CONTROLLER : named === DEFAULT_INGRESS_CLASS;
  }
  const defaults = list.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
  return defaults.length === 0 || defaults.some((c) => c.spec?.controller === INGRESS_CONTROLLER);
}

/** Names of the TLS Secrets our Ingresses reference (`namespace/name`), for the controller to watch. */
export function tlsSecretRefs(ingresses: Iterable<Ingress>, classes: Iterable<IngressClass>): Set<string> {
  const refs = new Set<string>();
  const list = [...classes];
  for (const ing of ingresses) {
    if (!isOurs(ing, list)) continue;
    for (const tls of ing.spec?.tls ?? []) if (tls.secretName) refs.add(`${ing.metadata.namespace}/${tls.secretName}`);
  }
  return refs;
}

/** Exact hosts lower-cased; a wildcard keeps its `*.`; none is the catch-all. */
function hostKeyOf(host: string | undefined): string {
  return host ? host.toLowerCase() : CATCH_ALL;
}

/** Prefix paths compare element-wise, so a trailing slash means nothing ("/foo/" is "/foo"). */
function normalisePrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

function olderFirst(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  return ta === tb ? key(a).localeCompare(key(b)) : ta < tb ? -1 : 1;
}

class TableBuilder {
  readonly backends = new Map<string, Backend>();
  readonly problems: string[] = [];

  constructor(private readonly sources: RouteSources) {}

  /** A backend for a Service port (number or name), with the ready endpoints behind it. */
  serviceBackend(namespace: string, backend: IngressBackend, where: string): string {
    if (backend.resource) {
      const id = `resource:${namespace}:${backend.resource.kind}:${backend.resource.name}`;
      this.backends.set(id, {
        kind: "error",
        id,
        status: 503,
        message: `${where}: resource backends (${backend.resource.kind} ${backend.resource.name}) are not served by the edgeplane ingress controller`,
      });
      return id;
    }
    const svcRef = backend.service;
    const portRef = svcRef?.port?.number ?? svcRef?.port?.name;
    const id = `svc:${namespace}:${svcRef?.name ?? ""}:${portRef ?? ""}`;
    if (this.backends.has(id)) return id;
    const fail = (message: string, status = 503) => {
      this.backends.set(id, { kind: "error", id, status, message });
      return id;
    };
    if (!svcRef?.name || portRef === undefined) return fail(`${where}: the backend names no Service port`);
    const service = this.sources.services.get(`${namespace}/${svcRef.name}`);
    if (!service) return fail(`Service ${namespace}/${svcRef.name} does not exist`);
    const port = (service.spec?.ports ?? []).find((p) => (typeof portRef === "number" ? p.port === portRef : p.name === portRef));
    if (!port) return fail(`Service ${namespace}/${svcRef.name} has no port ${portRef}`);
    const endpoints: Endpoint[] = [];
    const seen = new Set<string>();
    for (const slice of this.sources.slicesOf(namespace, svcRef.name)) {
      if (slice.addressType !== undefined && slice.addressType !== "IPv4") continue;
      // A slice's port carries the Service port's name and the pods' actual number.
      const slicePort = (slice.ports ?? []).find((p) => (p.name ?? "") === (port.name ?? "") && (p.protocol ?? "TCP") === (port.protocol ?? "TCP"));
      if (slicePort?.port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) {
          const k = `${ip}:${slicePort.port}`;
          if (seen.has(k)) continue;
          seen.add(k);
          endpoints.push({ ip, port: slicePort.port });
        }
      }
    }
    endpoints.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
    this.backends.set(id, { kind: "service", id, namespace, service: svcRef.name, endpoints });
    return id;
  }
}

const MATCH_ORDER: Record<MatchKind, number> = { Exact: 0, Regex: 1, Prefix: 2 };

/** The routing table for every Ingress of ours; the oldest Ingress wins a host and path two define. */
export function buildRouteTable(sources: RouteSources): RouteTable {
  const classes = [...sources.classes];
  const ours = [...sources.ingresses].filter((i) => isOurs(i, classes)).sort(olderFirst);
  const builder = new TableBuilder(sources);
  const routes: Route[] = [];
  const taken = new Set<string>();
  const certificates = new Map<string, Certificate>();
  let defaultBackendId: string | undefined;

  for (const ing of ours) {
    const where = `Ingress ${key(ing)}`;
    const options = routeOptions(ing.metadata.annotations);
    for (const p of options.problems) builder.problems.push(`${where}: ${p}`);
    const { problems: _problems, ...routeOpts } = options;
    const tlsHosts = new Set<string>();
    for (const tls of ing.spec?.tls ?? []) {
      // Names become server names SNI picks: only DNS names (or `*.` wildcards) qualify.
      const listed = (tls.hosts ?? []).map((h) => h.toLowerCase()).filter(isHostName);
      for (const h of listed) tlsHosts.add(h);
      if (!tls.secretName) continue;
      const secretKey = `${ing.metadata.namespace}/${tls.secretName}`;
      const secret = sources.secrets.get(secretKey);
      const crt = secret?.data?.["tls.crt"];
      const tlsKey = secret?.data?.["tls.key"];
      if (!secret || !crt || !tlsKey) {
        builder.problems.push(`${where}: TLS Secret ${secretKey} ${secret ? "has no tls.crt and tls.key" : "does not exist"}; its hosts get the default certificate`);
        continue;
      }
      // An entry without hosts serves the names the certificate is for, but only those this
      // Ingress's own rules name: another namespace's host is never taken by a certificate alone.
      const ruleHosts = new Set((ing.spec?.rules ?? []).map((r) => hostKeyOf(r.host)));
      const hosts = listed.length > 0 ? listed : certificateNames(crt).filter((h) => ruleHosts.has(h));
      const cert = certificates.get(secretKey) ?? { secret: secretKey, hosts: [], pem: pemOf(crt, tlsKey) };
      for (const h of hosts) if (!cert.hosts.includes(h)) cert.hosts.push(h);
      certificates.set(secretKey, cert);
    }
    if (ing.spec?.defaultBackend && defaultBackendId === undefined) {
      defaultBackendId = builder.serviceBackend(ing.metadata.namespace, ing.spec.defaultBackend, `${where} defaultBackend`);
    }
    for (const rule of ing.spec?.rules ?? []) {
      const hostKey = hostKeyOf(rule.host);
      if (hostKey !== CATCH_ALL && !isHostName(hostKey)) {
        builder.problems.push(`${where}: host "${rule.host}" is not a DNS name; its rules are not served`);
        continue;
      }
      for (const path of rule.http?.paths ?? []) {
        const pathType = path.pathType ?? "ImplementationSpecific";
        const raw = path.path && path.path !== "" ? path.path : "/";
        const match: MatchKind = options.regex && pathType !== "Exact" ? "Regex" : pathType === "Exact" ? "Exact" : "Prefix";
        const normalised = match === "Prefix" ? normalisePrefix(raw) : raw;
        if (match === "Regex" && (!validRegex(normalised) || sources.refusedRegex?.has(normalised.replace(/^\^/, "")))) {
          builder.problems.push(`${where}: path "${raw}" is not a valid regular expression`);
          continue;
        }
        // A control character cannot be written into the configuration, and a rewrite target may
        // name capture groups ($1) but no nginx variable: either would have nginx refuse every
        // route, so the path is reported instead.
        if (/[\x00-\x1f\x7f]/.test(normalised) || (routeOpts.rewriteTarget !== undefined && (/[\x00-\x1f\x7f]/.test(routeOpts.rewriteTarget) || /\$(?![0-9])/.test(routeOpts.rewriteTarget)))) {
          builder.problems.push(`${where}: path "${raw}"${routeOpts.rewriteTarget !== undefined ? ` with rewrite-target "${routeOpts.rewriteTarget}"` : ""} holds a control character or a $ that is not a capture group, which is not served`);
          continue;
        }
        const slot = `${hostKey} ${match} ${normalised}`;
        if (taken.has(slot)) {
          builder.problems.push(`${where}: ${rule.host ?? "*"}${raw} is already routed by an older Ingress`);
          continue;
        }
        taken.add(slot);
        routes.push({
          ...routeOpts,
          id: "",
          hostKey,
          match,
          path: normalised,
          backendId: builder.serviceBackend(ing.metadata.namespace, path.backend, `${where} path ${raw}`),
          tls: rule.host !== undefined && tlsHosts.has(hostKey),
          ingress: key(ing),
        });
      }
    }
  }
  defaultBackendId ??= conventionalDefaultBackend(sources, builder);

  routes.sort((a, b) => {
    if (a.hostKey !== b.hostKey) return a.hostKey < b.hostKey ? -1 : 1;
    if (a.match !== b.match) return MATCH_ORDER[a.match] - MATCH_ORDER[b.match];
    return b.path.length - a.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  });
  routes.forEach((r, i) => (r.id = `r${i + 1}`));
  return {
    hosts: [...new Set(routes.map((r) => r.hostKey))],
    routes,
    backends: builder.backends,
    defaultBackendId,
    certificates: [...certificates.values()],
    problems: builder.problems,
  };
}

/** ingress-nginx's `default-http-backend` Service, port 80 (kube-system first), when one exists. */
function conventionalDefaultBackend(sources: RouteSources, builder: TableBuilder): string | undefined {
  for (const namespace of DEFAULT_HTTP_BACKEND_NAMESPACES) {
    if (sources.services.has(`${namespace}/${DEFAULT_HTTP_BACKEND}`)) {
      return builder.serviceBackend(namespace, { service: { name: DEFAULT_HTTP_BACKEND, port: { number: 80 } } }, `Service ${namespace}/${DEFAULT_HTTP_BACKEND}`);
    }
  }
  return undefined;
}

function isHostName(host: string): boolean {
  return /^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(host);
}

/** The DNS names a certificate is for (subjectAltName, else its CN), lower-cased. */
function certificateNames(crtBase64: string): string[] {
  try {
    const cert = new X509Certificate(Buffer.from(crtBase64, "base64"));
    const sans = (cert.subjectAltName ?? "").split(", ").filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4));
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    return [...(sans.length > 0 ? sans : cn ? [cn] : [])].map((n) => n.toLowerCase()).filter(isHostName);
  } catch {
    return [];
  }
}

function validRegex(expression: string): boolean {
  try {
    new RegExp(expression);
    return true;
  } catch {
    return false;
  }
}

function pemOf(crtBase64: string, keyBase64: string): string {
  const text = (b64: string) => {
    const s = Buffer.from(b64, "base64").toString("utf8");
    return s.endsWith("\n") ? s : `${s}\n`;
  };
  return text(crtBase64) + text(keyBase64);
}
