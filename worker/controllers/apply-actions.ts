// The one place controller actions become writes. Every write goes through the API app
// (same defaults, validation and watch fan-out as kubectl's), with the object's
// resourceVersion as precondition; a conflict just means "run that controller again".
import { resourceByPlural } from "../resources/registry";
import type { KubeObject } from "../resources/types";
import type { Action, ResourceRef } from "./types";

export type ApiCaller = (method: string, path: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: string }>;

export interface ApplyOutcome {
  applied: number;
  conflicts: number;
  failures: { action: Action; status: number; message: string }[];
}

export function apiPath(ref: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  const def = resourceByPlural(ref.group, ref.resource);
  const version = def?.version ?? "v1";
  let path = ref.group ? `/apis/${ref.group}/${version}` : `/api/${version}`;
  if (def?.namespaced !== false && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${ref.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** Event aggregation as client-go's recorder does: the same event again bumps count. */
interface RecordedEvent {
  name: string;
  namespace: string;
  count: number;
}

const EVENT_CACHE_MAX = 4_096;

export class ActionApplier {
  private readonly events = new Map<string, RecordedEvent>();

  constructor(
    private readonly call: ApiCaller,
    private readonly component: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async apply(actions: readonly Action[]): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { applied: 0, conflicts: 0, failures: [] };
    for (const action of actions) {
      const res = await this.applyOne(action);
      if (res.status >= 200 && res.status < 300) outcome.applied++;
      else if (res.status === 409 || res.status === 404) outcome.conflicts++;
      else outcome.failures.push({ action, status: res.status, message: res.body.slice(0, 500) });
    }
    return outcome;
  }

  private applyOne(action: Action): Promise<{ status: number; body: string }> {
    switch (action.type) {
      case "create":
        return this.create(action);
      case "update": {
        const o = action.object;
        // spec.finalizers of a terminating namespace change only through /finalize.
        const finalize = action.ref.group === "" && action.ref.resource === "namespaces" && Boolean(o.metadata.deletionTimestamp);
        return this.call("PUT", apiPath(action.ref, o.metadata.namespace, o.metadata.name, finalize ? "finalize" : undefined), o);
      }
      case "bind": {
        const pod = action.pod;
        return this.call("POST", apiPath({ group: "", resource: "pods" }, pod.metadata.namespace, pod.metadata.name, "binding"), {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
          target: { apiVersion: "v1", kind: "Node", name: action.nodeName },
        });
      }
      case "updateStatus": {
        const o = action.object;
        return this.call("PUT", apiPath(action.ref, o.metadata.namespace, o.metadata.name, "status"), o);
      }
      case "delete": {
        const options: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
        if (action.uid) options.preconditions = { uid: action.uid };
        if (action.propagationPolicy) options.propagationPolicy = action.propagationPolicy;
        if (action.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = action.gracePeriodSeconds;
        return this.call("DELETE", apiPath(action.ref, action.namespace, action.name), options);
      }
      case "event":
        return this.recordEvent(action.regarding, action.eventType, action.reason, action.message);
    }
  }

  private async create(action: Extract<Action, { type: "create" }>) {
    const res = await this.call("POST", apiPath(action.ref, action.object.metadata.namespace), action.object);
    const event = action.event;
    if (event && res.status === 201) {
      let name = action.object.metadata.name ?? "";
      try {
        name = (JSON.parse(res.body) as KubeObject).metadata.name ?? name;
      } catch {
        // keep the requested name
      }
      await this.recordEvent(event.regarding, event.eventType, event.reason, event.message.replaceAll("{name}", name));
    }
    return res;
  }

  private async recordEvent(regarding: KubeObject, type: string, reason: string, message: string) {
    const namespace = regarding.metadata.namespace ?? "default";
    const key = `${regarding.metadata.uid}/${reason}/${message}`;
    const ts = this.now().toISOString().replace(/\.\d{3}Z$/, "Z");
    const seen = this.events.get(key);
    if (seen) {
      seen.count++;
      const res = await this.call(
        "PATCH",
        apiPath({ group: "", resource: "events" }, seen.namespace, seen.name),
        { count: seen.count, lastTimestamp: ts },
        "application/merge-patch+json",
      );
      if (res.status !== 404) return res;
      this.events.delete(key);
    }
    const name = `${regarding.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: regarding.metadata.namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
    };
    const res = await this.call("POST", apiPath({ group: "", resource: "events" }, namespace), event);
    if (res.status === 201) {
      if (this.events.size >= EVENT_CACHE_MAX) this.events.clear();
      this.events.set(key, { name, namespace, count: 1 });
    }
    return res;
  }
}
