// Ingress (v1 and the notes' v1beta1 manifests), IngressClass, EndpointSlice and Lease:
// conversion, validation causes and kubectl's columns.
import { describe, expect, it } from "vitest";
import { leases } from "../../../worker/resources/coordination/lease";
import { endpointslices } from "../../../worker/resources/discovery/endpointslice";
import { ingressclasses } from "../../../worker/resources/networking/ingressclass";
import { ingresses } from "../../../worker/resources/networking/ingress";
import type { KubeObject } from "../../../worker/resources/types";
import { NOW, causesOf, create, manifest, update } from "./cluster-resources-harness";

const FANOUT_V1BETA1 = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: simple-fanout-example
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  rules:
  - host: myapp.com
    http:
      paths:
      - path: /analytics
        backend:
          serviceName: analytics-service
          servicePort: 3000
      - path: /shop
        backend:
          serviceName: shopping-service
          servicePort: 8080
`;

const TLS_V1BETA1 = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: tls-example-ingress
spec:
  tls:
  - hosts:
    - myapp.com
    secretName: myapp-secret-tls
  rules:
    - host: myapp.com
      http:
        paths:
        - path: /
          backend:
            serviceName: myapp-internal-service
            servicePort: 8080
`;

// The notes' virtual-host example writes each rule's paths as a mapping; upstream needs a
// list there, so this is the same two hosts with one path each.
const VHOSTS_V1BETA1 = `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: virtual-host-ingress
spec:
  backend:
    serviceName: default-http-backend
    servicePort: 80
  rules:
  - host: analytics.myapp.com
    http:
      paths:
      - backend:
          serviceName: analytics-service
          servicePort: 3000
  - host: shop.myapp.com
    http:
      paths:
      - backend:
          serviceName: shopping-service
          servicePort: http
`;

const V1 = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: edgeplane
  defaultBackend:
    service:
      name: fallback
      port:
        number: 80
  tls:
  - hosts: [a.example.com, b.example.com]
    secretName: web-tls
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              name: http
      - path: /api
        pathType: Exact
        backend:
          service:
            name: api
            port:
              number: 8080
  - host: b.example.com
    http:
      paths:
      - path: /static
        pathType: ImplementationSpecific
        backend:
          resource:
            apiGroup: k8s.example.com
            kind: StorageBucket
            name: static-assets
  - host: c.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: c, port: {number: 80}}
  - host: d.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: d, port: {number: 80}}
`;

describe("ingresses", () => {
  it("converts the notes' v1beta1 fan-out to v1", () => {
    const ing = create(ingresses, manifest(FANOUT_V1BETA1), "default");
    expect(ing.apiVersion).toBe("networking.k8s.io/v1");
    expect(ing.spec).toEqual({
      rules: [
        {
          host: "myapp.com",
          http: {
            paths: [
              { path: "/analytics", pathType: "ImplementationSpecific", backend: { service: { name: "analytics-service", port: { number: 3000 } } } },
              { path: "/shop", pathType: "ImplementationSpecific", backend: { service: { name: "shopping-service", port: { number: 8080 } } } },
            ],
          },
        },
      ],
    });
    expect(ing.metadata.generation).toBe(1);
    expect(ingresses.printRow(ing, NOW)).toEqual(["simple-fanout-example", "<none>", "myapp.com", "", "80", "0s"]);
  });

  it("converts TLS, spec.backend and named ports", () => {
    const tls = create(ingresses, manifest(TLS_V1BETA1), "default");
    expect(tls.spec).toMatchObject({ tls: [{ hosts: ["myapp.com"], secretName: "myapp-secret-tls" }] });
    expect(ingresses.printRow(tls, NOW)[4]).toBe("80, 443");
    const vh = create(ingresses, manifest(VHOSTS_V1BETA1), "default");
    expect((vh.spec as Record<string, unknown>).defaultBackend).toEqual({ service: { name: "default-http-backend", port: { number: 80 } } });
    expect(vh.spec).not.toHaveProperty("backend");
    expect(JSON.stringify(vh.spec)).toContain('"port":{"name":"http"}');
    expect(ingresses.printRow(vh, NOW)[2]).toBe("analytics.myapp.com,shop.myapp.com");
    for (const name of ["myapp-ingress", "dashboard-ingress"]) {
      const single = create(
        ingresses,
        manifest(`apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: ${name}
spec:
  rules:
  - host: myapp.com
    http:
      paths:
      - backend:
          serviceName: myapp-internal-service
          servicePort: 8080
`),
        "default",
      );
      expect(single.metadata.name).toBe(name);
    }
  });

  it("round-trips a v1 ingress with default backend, resource backend and several hosts", () => {
    const ing = create(ingresses, manifest(V1), "default");
    expect(ing.spec).toEqual(manifest(V1).spec);
    expect(ing.status).toEqual({ loadBalancer: {} });
    expect(ingresses.printRow(ing, NOW)).toEqual(["web", "edgeplane", "a.example.com,b.example.com,c.example.com + 1 more...", "", "80, 443", "0s"]);
    ing.status = { loadBalancer: { ingress: [{ ip: "192.168.1.10" }] } };
    expect(ingresses.printRow(ing, NOW)[3]).toBe("192.168.1.10");
    const next = manifest(V1);
    (next.spec as { ingressClassName: string }).ingressClassName = "other";
    expect(update(ingresses, ing, next).metadata.generation).toBe(2);
  });

  it("requires pathType in v1 and a valid backend", () => {
    const ing = (paths: unknown[]): KubeObject => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "i" }, spec: { rules: [{ host: "a.com", http: { paths } }] } });
    expect(causesOf(() => create(ingresses, ing([{ path: "/", backend: { service: { name: "web", port: { number: 80 } } } }]), "default"))).toEqual([
      { field: "spec.rules[0].http.paths[0].pathType", reason: "FieldValueRequired", message: "Required value: pathType must be specified" },
    ]);
    const causes = causesOf(() =>
      create(
        ingresses,
        ing([
          { path: "api", pathType: "Prefix", backend: { service: { name: "web" } } },
          { path: "/", pathType: "Regex", backend: {} },
        ]),
        "default",
      ),
    );
    expect(causes).toEqual([
      { field: "spec.rules[0].http.paths[0].path", reason: "FieldValueInvalid", message: 'Invalid value: "api": must be an absolute path' },
      { field: "spec.rules[0].http.paths[0].backend.service.port", reason: "FieldValueRequired", message: "Required value: port name or number is required" },
      { field: "spec.rules[0].http.paths[1].pathType", reason: "FieldValueNotSupported", message: 'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"' },
      { field: "spec.rules[0].http.paths[1].backend", reason: "FieldValueInvalid", message: 'Invalid value: "": resource or service backend is required' },
    ]);
    expect(causesOf(() => create(ingresses, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "i" }, spec: {} }, "default"))[0]).toMatchObject({
      field: "spec",
      message: "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified",
    });
  });
});

describe("ingressclasses, endpointslices, leases", () => {
  it("defaults parameter scope, prints parameters and fixes the controller", () => {
    const ic = create(ingressclasses, {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "edgeplane" },
      spec: { controller: "edgeplane.dev/ingress", parameters: { apiGroup: "k8s.example.com", kind: "Params", name: "p" } },
    });
    expect(ic.spec).toMatchObject({ parameters: { scope: "Cluster" } });
    expect(ingressclasses.printRow(ic, NOW)).toEqual(["edgeplane", "edgeplane.dev/ingress", "Params.k8s.example.com/p", "0s"]);
    expect(causesOf(() => update(ingressclasses, ic, { ...ic, spec: { controller: "other.dev/x" } }))).toEqual([
      { field: "spec.controller", reason: "FieldValueInvalid", message: 'Invalid value: "other.dev/x": field is immutable' },
    ]);
  });

  it("prints endpoint slices and validates addresses", () => {
    const slice = create(
      endpointslices,
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "web-abc", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        endpoints: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
        ports: [{ name: "http", port: 80 }],
      },
      "default",
    );
    expect(slice.ports).toEqual([{ name: "http", port: 80, protocol: "TCP" }]);
    expect(endpointslices.printRow(slice, NOW)).toEqual(["web-abc", "IPv4", "80", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...", "0s"]);
    expect(endpointslices.printRow({ ...slice, endpoints: [], ports: [] }, NOW).slice(2, 4)).toEqual(["<unset>", "<unset>"]);
    const bad = { ...slice, metadata: { name: "x" }, endpoints: [{ addresses: ["999.0.0.1"] }] };
    expect(causesOf(() => create(endpointslices, bad, "default"))).toEqual([
      { field: "endpoints[0].addresses[0]", reason: "FieldValueInvalid", message: 'Invalid value: "999.0.0.1": must be a valid IPv4 address' },
    ]);
  });

  it("prints the lease holder and validates durations", () => {
    const lease = create(
      leases,
      { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "node-1" }, spec: { holderIdentity: "node-1", leaseDurationSeconds: 40, renewTime: "2025-01-01T00:00:00.000000Z" } },
      "kube-node-lease",
    );
    expect(leases.printRow(lease, NOW)).toEqual(["node-1", "node-1", "0s"]);
    expect(causesOf(() => create(leases, { ...lease, metadata: { name: "l" }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } }, "kube-node-lease"))).toEqual([
      { field: "spec.leaseDurationSeconds", reason: "FieldValueInvalid", message: "Invalid value: 0: must be greater than 0" },
      { field: "spec.leaseTransitions", reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0" },
    ]);
  });
});
