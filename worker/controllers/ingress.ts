// The control-plane half of the built-in ingress (the data path runs in every node agent):
// Ingresses of our class get the Ready nodes' addresses in status.loadBalancer, so `kubectl get
// ingress` shows ADDRESS, and an ingress-controller annotation we do not implement is reported
// as a Warning Event on the Ingress, never silently ignored.
import { deepEqual } from "../../shared/deep-equal";
import type { KubeObject } from "../resources/types";
import { isDeleting, NODES } from "./controller-util";
import { records, rec, str, type Json } from "../../shared/json";
import { nodeAddressLoadBalancer } from "./service";
import type { Action, Controller, ResourceRef } from "./types";

export const INGRESSES: ResourceRef = { group: "networking.k8s.io", resource: "ingresses" };
export const INGRESS_CLASSES: ResourceRef = { group: "networking.k8s.io", resource: "ingressclasses" };
/** spec.controller of the classes node agents serve (node-agent/ingress/types.ts says the same). */
export const INGRESS_CONTROLLER = "edgeplane.dev/ingress-controller";
const OUR_CLASS = "edgeplane";
const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

/** What node-agent/ingress/annotations.ts implements. */
export const SUPPORTED_INGRESS_ANNOTATIONS = new Set([
  "nginx.ingress.kubernetes.io/rewrite-target",
  "nginx.ingress.kubernetes.io/use-regex",
  "nginx.ingress.kubernetes.io/ssl-redirect",
  "nginx.ingress.kubernetes.io/force-ssl-redirect",
  "nginx.ingress.kubernetes.io/proxy-body-size",
]);
/** Annotation namespaces of ingress controllers: keys there configure routing we might not do. */
const CONTROLLER_ANNOTATION_PREFIXES = [
  "nginx.ingress.kubernetes.io/",
  "ingress.kubernetes.io/",
  "traefik.ingress.kubernetes.io/",
  "haproxy.org/",
  "haproxy.router.openshift.io/",
  "alb.ingress.kubernetes.io/",
];

/** The same rule as the agent's (node-agent/ingress/routes.ts isOurs). */
export function servedByEdgeplane(ingress: KubeObject, classes: readonly KubeObject[]): boolean {
  const named = str(rec(ingress.spec).ingressClassName) ?? ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (named !== undefined && named !== "") {
    const cls = classes.find((c) => c.metadata.name === named);
    return cls ? str(rec(cls.spec).controller) === INGRESS_CONTROLLER : named === OUR_CLASS;
  }
  const defaults = classes.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
  return defaults.length === 0 || defaults.some((c) => str(rec(c.spec).controller) === INGRESS_CONTROLLER);
}

export function unsupportedAnnotations(ingress: KubeObject): string[] {
  return Object.keys(ingress.metadata.annotations ?? {})
    .filter((k) => CONTROLLER_ANNOTATION_PREFIXES.some((p) => k.startsWith(p)) && !SUPPORTED_INGRESS_ANNOTATIONS.has(k))
    .sort();
}

export function ingressController(): Controller {
  // uid → the unsupported-annotation list last reported, so each change is one Event, not one per pass.
  const reported = new Map<string, string>();
  return {
    name: "ingress",
    watches: [INGRESSES, INGRESS_CLASSES, NODES],
    reconcile({ snapshot }) {
      const actions: Action[] = [];
      const classes = snapshot.list(INGRESS_CLASSES);
      const nodes = snapshot.list(NODES);
      const addresses: Json[] = nodeAddressLoadBalancer.ingress({ apiVersion: "v1", kind: "Service", metadata: {} }, nodes).map((a) => ({ ip: a.ip }));
      const live = new Set<string>();
      for (const ingress of snapshot.list(INGRESSES)) {
        if (isDeleting(ingress) || !servedByEdgeplane(ingress, classes)) continue;
        const uid = ingress.metadata.uid ?? "";
        live.add(uid);
        const unsupported = unsupportedAnnotations(ingress);
        const list = unsupported.join(",");
        if (list !== (reported.get(uid) ?? "")) {
          reported.set(uid, list);
          if (unsupported.length > 0) {
            actions.push({
              type: "event",
              regarding: ingress,
              eventType: "Warning",
              reason: "UnsupportedAnnotation",
              message: `the edgeplane ingress controller ignores ${unsupported.join(", ")}; it implements ${[...SUPPORTED_INGRESS_ANNOTATIONS].join(", ")}`,
            });
          }
        }
        const status = rec(ingress.status);
        const current = records(rec(status.loadBalancer).ingress);
        if (!deepEqual(current, addresses)) {
          actions.push({ type: "updateStatus", ref: INGRESSES, object: { ...ingress, status: { ...status, loadBalancer: addresses.length ? { ingress: addresses } : {} } } });
        }
      }
      for (const uid of reported.keys()) if (!live.has(uid)) reported.delete(uid);
      return { actions };
    },
  };
}
