// The ingress-nginx annotations this controller implements, read per Ingress. Any other
// `nginx.ingress.kubernetes.io/` annotation is reported by the control plane as an Event.

const NGINX = "nginx.ingress.kubernetes.io/";
export const REWRITE_TARGET = `${NGINX}rewrite-target`;
export const USE_REGEX = `${NGINX}use-regex`;
export const SSL_REDIRECT = `${NGINX}ssl-redirect`;
export const FORCE_SSL_REDIRECT = `${NGINX}force-ssl-redirect`;
export const PROXY_BODY_SIZE = `${NGINX}proxy-body-size`;

export const SUPPORTED_ANNOTATIONS = [REWRITE_TARGET, USE_REGEX, SSL_REDIRECT, FORCE_SSL_REDIRECT, PROXY_BODY_SIZE];

export interface RouteOptions {
  /** The path is a regular expression (case-insensitive, anchored at the start), as nginx's `~*`. */
  regex: boolean;
  /** New path, with `$1`… from the path's capture groups. */
  rewriteTarget?: string;
  /** Plain HTTP is redirected to HTTPS: on by default for hosts with TLS. */
  sslRedirect?: boolean;
  /** Redirect even when the host has no TLS of its own. */
  forceSslRedirect: boolean;
  /** Largest request body in bytes; undefined means no limit. */
  maxBodyBytes?: number;
  /** Annotations present but not understood (bad values), for the log. */
  problems: string[];
}

const SIZE = /^(\d+)([kKmMgG]?)$/;
const UNIT: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** nginx's size syntax (`8m`, `512k`, `0` for no limit). */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  return m ? Number(m[1]) * UNIT[m[2]!.toLowerCase()]! : undefined;
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value.trim().toLowerCase() === "true";
}

export function routeOptions(annotations: Record<string, string> | undefined): RouteOptions {
  const a = annotations ?? {};
  const problems: string[] = [];
  const rewriteTarget = a[REWRITE_TARGET];
  let maxBodyBytes: number | undefined;
  if (a[PROXY_BODY_SIZE] !== undefined) {
    const size = parseSize(a[PROXY_BODY_SIZE]);
    if (size === undefined) problems.push(`${PROXY_BODY_SIZE}: "${a[PROXY_BODY_SIZE]}" is not a size such as 8m`);
    else if (size > 0) maxBodyBytes = size;
  }
  return {
    // ingress-nginx reads every path of an Ingress with rewrite-target as a regular expression.
    regex: flag(a[USE_REGEX]) === true || rewriteTarget !== undefined,
    rewriteTarget,
    sslRedirect: flag(a[SSL_REDIRECT]),
    forceSslRedirect: flag(a[FORCE_SSL_REDIRECT]) === true,
    maxBodyBytes,
    problems,
  };
}
