// One small valid object per kind, for the suites that exercise every resource.
export const SAMPLES: Record<string, Record<string, unknown>> = {
  "/pods": { spec: { containers: [{ name: "c", image: "busybox" }] } },
  "/services": { spec: { ports: [{ port: 80 }] } },
  "/endpoints": { subsets: [] },
  "/configmaps": { data: { a: "b" } },
  "/secrets": { stringData: { a: "b" } },
  "/serviceaccounts": {},
  "/events": { involvedObject: { kind: "Pod", name: "x", namespace: "neg" }, reason: "Test", message: "m", type: "Normal" },
  "/nodes": {},
  "/namespaces": {},
  "/persistentvolumes": { spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/x" } } },
  "/persistentvolumeclaims": { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
  "/resourcequotas": { spec: { hard: { pods: "10" } } },
  "/limitranges": { spec: { limits: [{ type: "Container", default: { cpu: "100m" } }] } },
  "apps/deployments": {
    spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  },
  "apps/replicasets": {
    spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  },
  "apps/statefulsets": {
    spec: { serviceName: "x", selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  },
  "apps/controllerrevisions": { revision: 1 },
  "networking.k8s.io/ingresses": { spec: { defaultBackend: { service: { name: "x", port: { number: 80 } } } } },
  "networking.k8s.io/ingressclasses": { spec: { controller: "edgeplane.io/ingress" } },
  "storage.k8s.io/storageclasses": { provisioner: "edgeplane.io/local-path" },
  "coordination.k8s.io/leases": { spec: { holderIdentity: "x", leaseDurationSeconds: 40 } },
  "discovery.k8s.io/endpointslices": { addressType: "IPv4", endpoints: [] },
  "rbac.authorization.k8s.io/roles": { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] },
  "rbac.authorization.k8s.io/clusterroles": { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] },
  "rbac.authorization.k8s.io/rolebindings": {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "ServiceAccount", name: "x", namespace: "neg" }],
  },
  "rbac.authorization.k8s.io/clusterrolebindings": {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "x" }],
  },
};
