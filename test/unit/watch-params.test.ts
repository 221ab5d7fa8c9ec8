// The Worker → hub watch URL round trip and its translation into a fan-out spec.
import { describe, expect, it } from "vitest";
import { watchParamsFromUrl, watchParamsToUrl, watchSpecFrom } from "../../worker/durable/watch-params";
import type { WatchParams } from "../../worker/durable/watch-params";
import { StatusError } from "../../shared/status-error";
import { pod } from "./fake-store";

const base: WatchParams = { group: "apps", resource: "deployments", apiVersion: "apps/v1", kind: "Deployment", allowWatchBookmarks: false };

describe("watch params", () => {
  it("round-trips through the hub URL", () => {
    const full: WatchParams = {
      ...base,
      namespace: "",
      name: "web",
      resourceVersion: "42",
      labelSelector: "app in (a,b),!x",
      fieldSelector: String.raw`metadata.name=a\,b`,
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
      sendInitialEvents: false,
    };
    expect(watchParamsFromUrl(watchParamsToUrl(full))).toEqual(full);
    expect(watchParamsFromUrl(watchParamsToUrl(base))).toEqual(base);
  });

  it("maps resourceVersion to the start of the stream", () => {
    expect(watchSpecFrom(base, {}).start).toBe("list");
    expect(watchSpecFrom({ ...base, resourceVersion: "0" }, {}).start).toBe("list");
    expect(watchSpecFrom({ ...base, resourceVersion: "17" }, {}).start).toBe(17);
    expect(watchSpecFrom({ ...base, sendInitialEvents: false }, {}).start).toBe("now");
    expect(watchSpecFrom({ ...base, resourceVersion: "17", sendInitialEvents: true }, {})).toMatchObject({ start: "list", initialEventsEnd: true });
    expect(() => watchSpecFrom({ ...base, resourceVersion: "abc" }, {})).toThrow(StatusError);
  });

  it("builds the selector filter and rejects unsupported fields", () => {
    const spec = watchSpecFrom({ ...base, namespace: "default", labelSelector: "app=web" }, {});
    expect(spec.filter.namespace).toBe("default");
    expect(spec.filter.matches?.(pod("a", { app: "web" }))).toBe(true);
    expect(spec.filter.matches?.(pod("a", { app: "db" }))).toBe(false);
    expect(() => watchSpecFrom({ ...base, fieldSelector: "spec.replicas=1" }, {})).toThrow("field label not supported: spec.replicas");
  });
});
