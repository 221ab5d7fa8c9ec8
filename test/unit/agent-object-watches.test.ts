// The agent's per-object watches (node-agent/kubelet/object-watches.ts): pods treat an object
// as unknown while its watch is down (they GET it instead), and the ingress keeps using the last
// object it was given, so a dropped watch never takes a host's certificate away.
import { describe, expect, it } from "vitest";
import type { ApiClient } from "../../node-agent/api-client";
import { ObjectWatches } from "../../node-agent/kubelet/object-watches";

interface Handlers {
  replace(items: unknown[]): void;
  event(type: string, object: unknown): void;
  error(error: unknown): void;
}

function fakeApi(): { api: ApiClient; handlers: Map<string, Handlers> } {
  const handlers = new Map<string, Handlers>();
  const api = {
    informer: (path: string, params: { fieldSelector: string }, h: Handlers) => {
      handlers.set(`${path}?${params.fieldSelector}`, h);
      return { stop: () => undefined };
    },
  } as unknown as ApiClient;
  return { api, handlers };
}

describe("the agent's object watches", () => {
  it("keeps the last known object through a dropped watch, while get says unknown", () => {
    const { api, handlers } = fakeApi();
    const changes: string[] = [];
    const watches = new ObjectWatches(api, (kind, ns, name) => changes.push(`${kind}/${ns}/${name}`), () => undefined, true);
    watches.retain([{ kind: "secrets", namespace: "default", name: "tls" }]);
    expect(watches.lastKnown("secrets", "default", "tls")).toBeUndefined();
    const h = handlers.get("/api/v1/namespaces/default/secrets?metadata.name=tls")!;
    const secret = { metadata: { name: "tls" }, data: { "tls.crt": "x" } };
    h.replace([secret]);
    expect(changes).toEqual(["secrets/default/tls"]);
    expect(watches.get("secrets", "default", "tls")).toEqual(secret);
    h.error(new Error("socket hang up"));
    expect(watches.get("secrets", "default", "tls")).toBeUndefined();
    expect(watches.lastKnown("secrets", "default", "tls")).toEqual(secret);
    // The re-list after the reconnect: unchanged, so nobody is told.
    h.replace([secret]);
    expect(changes).toHaveLength(1);
    h.event("DELETED", secret);
    expect(watches.lastKnown("secrets", "default", "tls")).toBeNull();
  });
});
