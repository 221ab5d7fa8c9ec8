// The Hono application: health and discovery endpoints, then every resource URL dispatched to
// the generic verbs, or to the handler of a subresource its kind serves (api/subresources/).
// Every failure leaves as a Kubernetes Status.
import { isNodeLeaseKey } from "./leases/lease-merge";
import { isServedSubresource, SUBRESOURCES } from "./api/subresources";
import { Hono } from "hono";
import { authenticate, authorizeRequest, noteTokenRevoked } from "./api/auth";
import { impersonate } from "./api/impersonation";
import { ensureBootstrapped } from "./api/bootstrap";
import type { ApiContext } from "./api/context";
import { aggregatedDiscovery } from "./api/discovery-aggregated";
import { coreVersions, group, groupList, resourceList, versionInfo } from "./api/discovery";
import { openapiV2, openapiV3GroupVersion, openapiV3Hash, openapiV3Paths } from "./api/openapi";
import { parseResourcePath } from "./api/request-info";
import { respondJson } from "./api/respond";
import { badRequest, methodNotAllowed, StatusError, unexpectedError, unsupportedMediaType } from "../shared/status-error";
import { parseFieldSelector, requiredFieldValue } from "../shared/selectors";
import { bodyTypeOf, decodeBody, decodeProtobufBody, isPlainObject, negotiateOutput, readBodyBytes, readBodyText } from "./api/negotiate";
import { selfSubjectAccessReview, selfSubjectRulesReview, selfSubjectReview, subjectAccessReview } from "./api/rbac/reviews";
import { createVerb } from "./api/verbs/create";
import { deleteVerb } from "./api/verbs/delete";
import { getVerb } from "./api/verbs/get";
import { listVerb } from "./api/verbs/list";
import { patchVerb } from "./api/verbs/patch";
import { getScale } from "./api/verbs/scale";
import { updateVerb } from "./api/verbs/update";
import { watchVerb } from "./api/verbs/watch";
import { openStore, prepareStore } from "./store/open";
import type { AppEnv } from "./app-env";
import { nodeLeaseVerb } from "./leases/lease-verb";
import type { Registry } from "./resources/registry";
import { nodeRoutes } from "./nodes/routes";
import { tunnelRoutes } from "./tunnel/routes";
import { backupResponse } from "./api/backup";
import { missingConfiguration } from "./api/required-config";
import { reencryptResponse } from "./api/reencrypt";
import { listTokensResponse, revokeTokenResponse } from "./api/tokens";
import { renewNodeCredential } from "./nodes/node-credential";

function notFoundStatus(): Response {
  return respondJson(
    new StatusError(404, "NotFound", "the server could not find the requested resource").toStatus(),
    404,
  );
}

const STREAM_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);

/** metadata.name=<x> required by a list's or watch's field selector; undefined when none or unparsable. */
function nameInFieldSelector(url: URL): string | undefined {
  const text = url.searchParams.get("fieldSelector");
  if (!text) return undefined;
  try {
    return requiredFieldValue(parseFieldSelector(text), "metadata.name");
  } catch {
    return undefined;
  }
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case "GET":
      // A named GET with ?watch is a watch of that one object (authorized as watch, with its name).
      return watch ? "watch" : named ? "get" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return named ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get("watch");
  return w === "1" || w === "true";
}

export interface AppOptions {
  /** The kinds it serves: one registry per isolate, shared with the Durable Objects it runs. */
  registry: Registry;
}

export function createApp(options: AppOptions) {
  const { registry } = options;
  const app = new Hono<AppEnv>();
  const authMiddleware = async (c: import("hono").Context<AppEnv>, next: () => Promise<void>) => {
    await prepareStore(c.env);
    const store = openStore(c.env, registry);
    c.set("store", store);
    const principal = await authenticate(c.req.raw, c.env, store);
    await ensureBootstrapped(store, registry);
    c.set("principal", await impersonate(c.req.raw, store, principal));
    await next();
  };

  app.onError((err, c) => {
    if (err instanceof StatusError) return respondJson(err.toStatus(), err.code);
    return respondJson(unexpectedError(err, `${c.req.method} ${new URL(c.req.url).pathname}`).toStatus(), 500);
  });
  app.notFound(() => notFoundStatus());

  for (const path of ["/healthz", "/livez"]) app.get(path, (c) => c.text("ok"));
  // A Worker deployed without its Secrets key serves nothing but the reason (readyz says it too).
  app.use("*", async (c, next) => {
    const missing = missingConfiguration(c.env);
    if (missing) {
      console.error(missing);
      return respondJson(new StatusError(503, "ServiceUnavailable", missing).toStatus(), 503);
    }
    await next();
  });
  app.get("/readyz", (c) => c.text("ok"));
  // Joining nodes (install script, agent bundle, join-token exchange) and their tunnels authenticate themselves.
  app.route("/", nodeRoutes(registry));
  app.route("/", tunnelRoutes(registry));
  app.get("/version", (c) => c.json(versionInfo()));

  app.use("/api/*", authMiddleware);
  app.use("/api", authMiddleware);
  app.use("/apis/*", authMiddleware);
  app.use("/apis", authMiddleware);

  app.use("/openapi/*", authMiddleware);
  app.use("/edgeplane/*", authMiddleware);

  // npm run backup: the cluster's state in one consistent read (system:masters only).
  app.get("/edgeplane/v1/backup", (c) => backupResponse(c.get("store"), c.get("principal"), new Date()));
  // npm run reencrypt: the key rotation's second step, every Secret sealed under the newest key.
  // npm run tokens: the stored credentials, and their revocation (system:masters only).
  app.get("/edgeplane/v1/tokens", (c) => listTokensResponse(c.get("store"), c.get("principal")));
  app.delete("/edgeplane/v1/tokens/:id", (c) => revokeTokenResponse(c.get("store"), c.get("principal"), c.req.param("id")));
  // The agent renews its node credential before it lapses (kubelet's client certificate rotation).
  app.post("/edgeplane/v1/node-credential", async (c) => {
    const { credential, replacedHash } = await renewNodeCredential(c.get("store"), c.env, c.req.header("authorization") ?? null, Date.now());
    // Its shortened life holds in this isolate at once (elsewhere within the token cache's 10 s).
    noteTokenRevoked(replacedHash);
    return c.json(credential);
  });
  app.post("/edgeplane/v1/reencrypt", (c) => reencryptResponse(c.get("store"), c.get("principal"), Boolean(c.env.SECRETS_ENCRYPTION_KEY)));

  // kubectl auth can-i / whoami: reviews answered for the requester, nothing stored.
  const reviewBody = async (c: import("hono").Context<AppEnv>) => {
    const type = bodyTypeOf(c.req.header("content-type"));
    if (type !== "json" && type !== "yaml" && type !== "protobuf") throw unsupportedMediaType(c.req.header("content-type") ?? "");
    const body = type === "protobuf" ? decodeProtobufBody(await readBodyBytes(c.req.raw)) : decodeBody(await readBodyText(c.req.raw), type);
    if (!isPlainObject(body)) throw badRequest("the request body must be an object");
    return body;
  };
  app.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", async (c) =>
    c.json(await selfSubjectAccessReview(c.get("store"), c.get("principal"), await reviewBody(c)), 201),
  );
  app.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", async (c) =>
    c.json(await selfSubjectRulesReview(c.get("store"), c.get("principal"), await reviewBody(c)), 201),
  );
  app.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", async (c) =>
    c.json(await subjectAccessReview(c.get("store"), c.get("principal"), await reviewBody(c)), 201),
  );
  app.post("/apis/authorization.k8s.io/v1/namespaces/:namespace/localsubjectaccessreviews", async (c) =>
    c.json(await subjectAccessReview(c.get("store"), c.get("principal"), await reviewBody(c), c.req.param("namespace")), 201),
  );
  app.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", async (c) => {
    await reviewBody(c);
    return c.json(selfSubjectReview(c.get("principal")), 201);
  });

  app.get("/api", (c) => aggregatedDiscovery(registry, "api", c.req.header("accept")) ?? c.json(coreVersions(new URL(c.req.url).host)));
  app.get("/apis", (c) => aggregatedDiscovery(registry, "apis", c.req.header("accept")) ?? c.json(groupList(registry)));
  app.get("/openapi/v2", (c) => openapiV2(registry, c.req.header("accept"), c.req.header("if-none-match")));
  app.get("/openapi/v3", (c) => c.json(openapiV3Paths(registry)));
  // Hashed URLs never change content: kube-apiserver marks them immutable so kubectl's disk cache keeps them.
  const openapiDocument = (group: string, version: string, hash: string | undefined) => {
    const doc = openapiV3GroupVersion(registry, group, version);
    if (!doc) return notFoundStatus();
    const etag = openapiV3Hash(registry, group, version);
    const headers: Record<string, string> = { "content-type": "application/json", etag: `"${etag}"` };
    headers["cache-control"] = hash && hash === etag ? "public, immutable" : "no-cache, private";
    return new Response(JSON.stringify(doc), { headers });
  };
  app.get("/openapi/v3/api/:version", (c) => openapiDocument("", c.req.param("version"), c.req.query("hash")));
  app.get("/openapi/v3/apis/:group/:version", (c) => openapiDocument(c.req.param("group"), c.req.param("version"), c.req.query("hash")));
  app.get("/api/:version{v[0-9a-z]+}", (c) => {
    const list = resourceList(registry, "", c.req.param("version"));
    return list ? c.json(list) : notFoundStatus();
  });
  app.get("/apis/:group", (c) => {
    const g = group(registry, c.req.param("group"));
    return g ? c.json(g) : notFoundStatus();
  });
  app.get("/apis/:group/:version", (c) => {
    const list = resourceList(registry, c.req.param("group"), c.req.param("version"));
    return list ? c.json(list) : notFoundStatus();
  });

  const serveResource = async (c: import("hono").Context<AppEnv>) => {
    const url = new URL(c.req.url);
    const parsed = parseResourcePath(url.pathname, registry);
    if (parsed.kind !== "resource") return notFoundStatus();
    const target = parsed.request;
    const watch = c.req.method === "GET" && isWatch(url);
    const principal = c.get("principal");
    if (watch && target.subresource) throw methodNotAllowed();
    const verb = verbOf(c.req.method, Boolean(target.name), watch);
    await authorizeRequest(c.get("store"), principal, {
      // kubelet's streams need create, whatever the method (GET for a WebSocket upgrade), as Kubernetes ≥ 1.30.
      verb: target.subresource && STREAM_SUBRESOURCES.has(target.subresource) ? "create" : verb,
      group: target.group,
      resource: target.def.plural,
      namespace: target.namespace,
      // A list or watch of one object by field selector is authorized for that name, as upstream's RequestInfo.
      name: target.name ?? (verb === "list" || verb === "watch" ? nameInFieldSelector(url) : undefined),
      subresource: target.subresource,
      request: c.req.raw,
    });
    const ctx: ApiContext = {
      env: c.env,
      store: c.get("store"),
      registry,
      principal,
      now: new Date(),
      url,
      request: c.req.raw,
      output: negotiateOutput(c.req.header("accept")),
      target,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
    };
    // Node heartbeats are served by the NodeLeases Durable Object, not SQL (DESIGN decision 9).
    if (isNodeLeaseKey({ group: target.group, resource: target.def.plural, namespace: target.namespace ?? "" })) {
      const served = await nodeLeaseVerb(ctx);
      if (served) return served;
    }
    if (target.subresource && isServedSubresource(target.subresource)) {
      // Served only by kinds that list it (pods/log, serviceaccounts/token, namespaces/finalize).
      if (!target.def.subresources[target.subresource]) return notFoundStatus();
      const handler = SUBRESOURCES[target.subresource].methods[c.req.method as "GET" | "POST" | "PUT"];
      if (!handler) throw methodNotAllowed();
      return handler(ctx);
    }
    // A kind without a status subresource has no /status (kube-apiserver answers 404, never a no-op write).
    if (target.subresource === "status" && !target.def.subresources.status) return notFoundStatus();
    switch (c.req.method) {
      case "GET":
        if (watch) return watchVerb(ctx);
        if (!target.name) return listVerb(ctx);
        return target.subresource === "scale" ? getScale(ctx) : getVerb(ctx);
      case "POST":
        return createVerb(ctx);
      case "PUT":
        return updateVerb(ctx);
      case "PATCH":
        return patchVerb(ctx);
      case "DELETE":
        return deleteVerb(ctx);
      default:
        throw methodNotAllowed();
    }
  };
  app.all("/api/*", serveResource);
  app.all("/apis/*", serveResource);
  return app;
}
