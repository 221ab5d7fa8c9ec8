// The networking.k8s.io/v1 objects as the ingress controller reads them (v1beta1 manifests are
// stored converted to v1), and the controller's identity: the class it serves by default.

/** spec.controller of every IngressClass this agent serves. */
export const INGRESS_CONTROLLER = "edgeplane.dev/ingress-controller";
/** The class the control plane creates, marked the default one. */
export const DEFAULT_INGRESS_CLASS = "edgeplane";
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
/** The pre-IngressClass way to pick a controller, still common in charts. */
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  annotations?: Record<string, string>;
  resourceVersion?: string;
}

export interface ServiceBackend {
  name: string;
  port?: { number?: number; name?: string };
}

export interface IngressBackend {
  service?: ServiceBackend;
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HttpPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
}

export interface Ingress {
  metadata: ObjectMeta & { namespace: string };
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: { host?: string; http?: { paths?: HttpPath[] } }[];
  };
}

export interface IngressClass {
  metadata: ObjectMeta;
  spec?: { controller?: string };
}

export interface TlsSecret {
  metadata: ObjectMeta & { namespace: string };
  type?: string;
  data?: Record<string, string>;
}
