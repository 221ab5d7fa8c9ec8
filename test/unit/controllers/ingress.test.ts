// The ingress controller's tables: which Ingresses are ours, status.loadBalancer from Ready nodes,
// one Warning Event per change of unsupported annotations; and that its constants agree with the agent's.
import { describe, expect, it } from "vitest";
import { INGRESS_CLASSES, INGRESSES, INGRESS_CONTROLLER, ingressController, SUPPORTED_INGRESS_ANNOTATIONS } from "../../../worker/controllers/ingress";
import { INGRESS_CLASS, INGRESS_CONTROLLER as BOOTSTRAP_CONTROLLER } from "../../../worker/api/bootstrap";
import { DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER as AGENT_CONTROLLER } from "../../../node-agent/ingress/types";
import { SUPPORTED_ANNOTATIONS } from "../../../node-agent/ingress/annotations";
import { DEFAULT_CONTROLLER_CONFIG, type Action } from "../../../worker/controllers/types";
import { NOW, node, obj } from "./cluster-fixtures";
import { snapshotOf, type SnapshotEntry, reconcileOnce } from "./snapshot";

const nodes = [
  node("n1", { addresses: [{ type: "InternalIP", address: "192.168.0.11" }] }),
  node("n2", { addresses: [{ type: "InternalIP", address: "192.168.0.12" }] }),
  node("down", { ready: "False", addresses: [{ type: "InternalIP", address: "192.168.0.13" }] }),
];
const ours = obj(INGRESS_CLASSES, "IngressClass", "edgeplane", { spec: { controller: INGRESS_CONTROLLER } }, { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } });
const nginx = obj(INGRESS_CLASSES, "IngressClass", "nginx", { spec: { controller: "k8s.io/ingress-nginx" } });
const ing = (name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>, status: Record<string, unknown> = {}) =>
  obj(INGRESSES, "Ingress", name, { spec, status }, { namespace: "default", ...(annotations ? { annotations } : {}) });

function run(objects: SnapshotEntry[], controller = ingressController()): Action[] {
  return reconcileOnce(controller, snapshotOf(objects), NOW, DEFAULT_CONTROLLER_CONFIG).actions;
}

const statusOf = (actions: Action[], name: string) => {
  const a = actions.find((x) => x.type === "updateStatus" && x.object.metadata.name === name);
  return a?.type === "updateStatus" ? a.object.status : undefined;
};

describe("ingress controller", () => {
  it("publishes the Ready nodes' addresses on Ingresses of our class, the default class or none", () => {
    const actions = run([...nodes, ours, nginx, ing("default-class"), ing("named", { ingressClassName: "edgeplane" }), ing("legacy", {}, { "kubernetes.io/ingress.class": "edgeplane" }), ing("other", { ingressClassName: "nginx" }), ing("invalid", { ingressClassName: "some-invalid-class-name" })]);
    const expected = { loadBalancer: { ingress: [{ ip: "192.168.0.11" }, { ip: "192.168.0.12" }] } };
    expect(statusOf(actions, "default-class")).toEqual(expected);
    expect(statusOf(actions, "named")).toEqual(expected);
    expect(statusOf(actions, "legacy")).toEqual(expected);
    expect(statusOf(actions, "other")).toBeUndefined();
    expect(statusOf(actions, "invalid")).toBeUndefined();
  });

  it("leaves class-less Ingresses to another controller's default class", () => {
    const otherDefault = obj(INGRESS_CLASSES, "IngressClass", "nginx", { spec: { controller: "k8s.io/ingress-nginx" } }, { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } });
    expect(run([...nodes, otherDefault, ing("plain")])).toEqual([]);
  });

  it("writes nothing when the status is current", () => {
    const current = { loadBalancer: { ingress: [{ ip: "192.168.0.11" }, { ip: "192.168.0.12" }] } };
    expect(run([...nodes, ours, ing("done", {}, undefined, current)])).toEqual([]);
  });

  it("reports unsupported controller annotations once per change, and ignores other annotations", () => {
    const controller = ingressController();
    const current = { loadBalancer: { ingress: [{ ip: "192.168.0.11" }, { ip: "192.168.0.12" }] } };
    const annotated = (a: Record<string, string>) => [...nodes, ours, ing("annotated", {}, a, current)];
    const first = run(annotated({ "nginx.ingress.kubernetes.io/rewrite-target": "/", "nginx.ingress.kubernetes.io/auth-url": "http://auth", "meta.helm.sh/release-name": "x" }), controller);
    expect(first).toEqual([expect.objectContaining({ type: "event", eventType: "Warning", reason: "UnsupportedAnnotation", message: expect.stringContaining("ignores nginx.ingress.kubernetes.io/auth-url;") })]);
    expect(run(annotated({ "nginx.ingress.kubernetes.io/rewrite-target": "/", "nginx.ingress.kubernetes.io/auth-url": "http://auth" }), controller)).toEqual([]);
    const more = run(annotated({ "nginx.ingress.kubernetes.io/auth-url": "http://auth", "traefik.ingress.kubernetes.io/router.tls": "true" }), controller);
    expect(more).toHaveLength(1);
    expect(run(annotated({}), controller)).toEqual([]);
  });

  it("agrees with the agent and the bootstrap on names and annotations", () => {
    expect(AGENT_CONTROLLER).toBe(INGRESS_CONTROLLER);
    expect(BOOTSTRAP_CONTROLLER).toBe(INGRESS_CONTROLLER);
    expect(DEFAULT_INGRESS_CLASS).toBe(INGRESS_CLASS);
    expect([...SUPPORTED_INGRESS_ANNOTATIONS].sort()).toEqual([...SUPPORTED_ANNOTATIONS].sort());
  });
});
