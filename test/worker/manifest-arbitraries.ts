// fast-check arbitraries for valid manifests of the kinds the API-compatibility properties
// drive (ConfigMap, Secret, Service, Pod, Deployment): each value should pass validation, so
// a 4xx for one is a finding. metadata.name is left out; the test names every object itself.
import fc from "fast-check";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A record with some keys always there and the rest sometimes (omitted, never `undefined`). */
function struct(required: Record<string, fc.Arbitrary<Json>>, optional: Record<string, fc.Arbitrary<Json>> = {}): fc.Arbitrary<JsonObject> {
  // fast-check types omitted keys as `T | undefined`; they are absent, so the value is plain JSON.
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) }) as fc.Arbitrary<JsonObject>;
}

const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/);
/** Label and annotation keys: qualified names, sometimes with a DNS prefix. */
export const qualifiedKey = fc.stringMatching(/^([a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?$/);
export const labelValue = fc.stringMatching(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,20})?[A-Za-z0-9])?$/);
/** Config keys without dots, so the `bin.`/`str.` prefixed ones never collide with them. */
const configKey = fc.stringMatching(/^[A-Za-z0-9_][-_A-Za-z0-9]{0,20}$/);
/** IANA service names (a named targetPort): at most 15 characters, a letter, no `--`. */
const portName = fc.stringMatching(/^[a-z]{1,6}(-[a-z0-9]{1,6})?$/);
const text = fc.string({ unit: "grapheme", maxLength: 40 });
const small = fc.integer({ min: 0, max: 600 });
const port = fc.integer({ min: 1, max: 65535 });

const labels = fc.dictionary(qualifiedKey, labelValue, { maxKeys: 4 });
const annotations = fc.dictionary(qualifiedKey, text, { maxKeys: 3 });

export const metadata = struct({}, { labels, annotations });

const quantityPair = fc
  .record({ cpuMilli: fc.integer({ min: 1, max: 4000 }), memMi: fc.integer({ min: 1, max: 4096 }), factor: fc.integer({ min: 1, max: 4 }) })
  .map(({ cpuMilli, memMi, factor }) => ({
    requests: { cpu: `${cpuMilli}m`, memory: `${memMi}Mi` },
    limits: { cpu: `${cpuMilli * factor}m`, memory: `${memMi * factor}Mi` },
  }));

const resources: fc.Arbitrary<Json> = fc.oneof(
  fc.constant({}),
  quantityPair.map((q) => ({ requests: q.requests })),
  quantityPair.map((q) => ({ limits: q.limits })),
  quantityPair,
);

const probe = struct(
  {},
  {
    initialDelaySeconds: small,
    periodSeconds: fc.integer({ min: 1, max: 60 }),
    timeoutSeconds: fc.integer({ min: 1, max: 60 }),
    failureThreshold: fc.integer({ min: 1, max: 10 }),
  },
).chain((timing) =>
  fc.oneof(
    fc.array(text, { minLength: 1, maxLength: 3 }).map((command) => ({ ...timing, exec: { command } })),
    fc.record({ path: fc.constantFrom("/", "/healthz", "/ready"), port }).map((httpGet) => ({ ...timing, httpGet })),
    port.map((p) => ({ ...timing, tcpSocket: { port: p } })),
  ),
);

const envVar = struct(
  { name: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/) },
  { value: text },
);

const image = fc.stringMatching(/^[a-z]{1,10}(:[a-z0-9.]{1,8})?$/);

/** A container without its name and volume mounts, which depend on its pod. */
const containerBody = struct(
  { image },
  {
    command: fc.array(text, { maxLength: 3 }),
    args: fc.array(text, { maxLength: 3 }),
    workingDir: fc.constantFrom("/", "/app", "/tmp"),
    env: fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 3 }),
    ports: fc.uniqueArray(struct({ containerPort: port }, { protocol: fc.constantFrom("TCP", "UDP") }), { selector: (p) => `${String(p.containerPort)}/${String(p.protocol ?? "TCP")}`, maxLength: 3 }),
    resources,
    livenessProbe: probe,
    readinessProbe: probe,
    imagePullPolicy: fc.constantFrom("Always", "IfNotPresent", "Never"),
    tty: fc.boolean(),
    stdin: fc.boolean(),
    terminationMessagePolicy: fc.constantFrom("File", "FallbackToLogsOnError"),
  },
);

const MAX_CONTAINERS = 3;
const MAX_VOLUMES = 2;

/**
 * A PodSpec; `restartPolicy` fixed for templates (workloads allow only Always). Built with
 * `map`, not `chain`: arbitraries made per value (regexes parsed again each time) made a pod
 * take tens of milliseconds to generate.
 */
export function podSpec(restartPolicy?: string): fc.Arbitrary<JsonObject> {
  // activeDeadlineSeconds is forbidden in templates.
  const deadline: Record<string, fc.Arbitrary<Json>> = restartPolicy ? {} : { activeDeadlineSeconds: fc.integer({ min: 1, max: 100000 }) };
  return fc
    .record({
      containers: fc.array(containerBody, { minLength: 1, maxLength: MAX_CONTAINERS }),
      names: fc.uniqueArray(dnsLabel, { minLength: MAX_CONTAINERS, maxLength: MAX_CONTAINERS }),
      volumes: fc.uniqueArray(dnsLabel, { maxLength: MAX_VOLUMES }),
      mounted: fc.array(fc.boolean(), { minLength: MAX_CONTAINERS * MAX_VOLUMES, maxLength: MAX_CONTAINERS * MAX_VOLUMES }),
      rest: struct(
        {},
        {
          restartPolicy: restartPolicy ? fc.constant(restartPolicy) : fc.constantFrom("Always", "OnFailure", "Never"),
          terminationGracePeriodSeconds: small,
          ...deadline,
          dnsPolicy: fc.constantFrom("ClusterFirst", "Default"),
          nodeSelector: labels,
          hostname: dnsLabel,
          enableServiceLinks: fc.boolean(),
          automountServiceAccountToken: fc.boolean(),
          tolerations: fc.array(fc.record({ key: qualifiedKey, operator: fc.constant("Equal"), value: labelValue, effect: fc.constantFrom("NoSchedule", "PreferNoSchedule") }), { maxLength: 2 }),
          securityContext: struct({}, { runAsUser: fc.integer({ min: 0, max: 65535 }), runAsNonRoot: fc.boolean(), fsGroup: fc.integer({ min: 0, max: 65535 }) }),
        },
      ),
    })
    .map(({ containers, names, volumes, mounted, rest }) => {
      const spec: JsonObject = {
        ...rest,
        containers: containers.map((c, i) => {
          const mounts = volumes.filter((_, v) => mounted[i * MAX_VOLUMES + v]).map((v) => ({ name: v, mountPath: `/mnt/${v}` }));
          return { name: names[i]!, ...c, ...(mounts.length ? { volumeMounts: mounts } : {}) };
        }),
      };
      if (volumes.length) spec.volumes = volumes.map((v) => ({ name: v, emptyDir: {} }));
      return spec;
    });
}

const configMap = struct(
  {},
  {
    data: fc.dictionary(configKey, fc.string({ unit: "grapheme", maxLength: 200 }), { maxKeys: 5 }),
    binaryData: fc.dictionary(configKey.map((k) => `bin.${k}`), fc.uint8Array({ maxLength: 40 }).map((b) => btoa(String.fromCharCode(...b))), { maxKeys: 2 }),
    immutable: fc.constantFrom(false, false, false, true),
  },
);

const secret = struct(
  {},
  {
    data: fc.dictionary(configKey, fc.uint8Array({ maxLength: 60 }).map((b) => btoa(String.fromCharCode(...b))), { maxKeys: 4 }),
    stringData: fc.dictionary(configKey.map((k) => `str.${k}`), text, { maxKeys: 3 }),
    type: fc.constant("Opaque"),
    immutable: fc.constantFrom(false, false, false, true),
  },
);

// Unique by port alone: protocol is optional below, and one left out is TCP, so 80/UDP and 80/TCP
// could both become 80/TCP, a duplicate the server rightly refuses.
const servicePorts = fc.uniqueArray(fc.record({ name: dnsLabel, port, protocol: fc.constantFrom("TCP", "UDP") }), {
  selector: (p) => p.port,
  minLength: 1,
  maxLength: 3,
}).chain((ps) =>
  fc.tuple(...ps.map((p, i) => struct({ port: fc.constant(p.port), name: fc.constant(`${p.name}-${i}`) }, { protocol: fc.constant(p.protocol), targetPort: fc.oneof(port, portName) }))),
);

const service = struct(
  {
    spec: struct(
      { ports: servicePorts },
      {
        type: fc.constantFrom("ClusterIP", "NodePort"),
        selector: labels,
        sessionAffinity: fc.constant("None"),
        publishNotReadyAddresses: fc.boolean(),
        internalTrafficPolicy: fc.constantFrom("Cluster", "Local"),
        ipFamilyPolicy: fc.constant("SingleStack"),
      },
    ),
  },
);

const pod = struct({ spec: podSpec() });

/** Deployments share one selector, so an update of a random one may land (the selector is immutable). */
export const DEPLOYMENT_SELECTOR = { app: "prop" };

const deployment = struct({
  spec: struct(
    {
      selector: fc.constant({ matchLabels: DEPLOYMENT_SELECTOR }),
      template: struct({
        metadata: struct({ labels: labels.map((l) => ({ ...l, ...DEPLOYMENT_SELECTOR })) }, { annotations }),
        spec: podSpec("Always"),
      }),
    },
    {
      replicas: fc.integer({ min: 0, max: 5 }),
      minReadySeconds: fc.integer({ min: 0, max: 30 }),
      revisionHistoryLimit: fc.integer({ min: 0, max: 10 }),
      paused: fc.boolean(),
      progressDeadlineSeconds: fc.integer({ min: 31, max: 900 }),
      strategy: fc.oneof(
        fc.constant({ type: "Recreate" }),
        fc.record({ type: fc.constant("RollingUpdate"), rollingUpdate: fc.record({ maxSurge: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom("25%", "50%")), maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("0%", "25%")) }) }),
      ),
    },
  ),
});

export interface KindCase {
  /** `${group}/${plural}`, as the registry keys kinds. */
  key: string;
  apiVersion: string;
  kind: string;
  /** The kind's body besides apiVersion, kind and metadata. */
  body: fc.Arbitrary<JsonObject>;
}

export const KIND_CASES: readonly KindCase[] = [
  { key: "/configmaps", apiVersion: "v1", kind: "ConfigMap", body: configMap },
  { key: "/secrets", apiVersion: "v1", kind: "Secret", body: secret },
  { key: "/services", apiVersion: "v1", kind: "Service", body: service },
  { key: "/pods", apiVersion: "v1", kind: "Pod", body: pod },
  { key: "apps/deployments", apiVersion: "apps/v1", kind: "Deployment", body: deployment },
];

/** A whole valid manifest of `kind` (no name). */
export function manifest(kind: KindCase): fc.Arbitrary<JsonObject> {
  return fc.record({ metadata, body: kind.body }).map(({ metadata: meta, body }) => ({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: meta, ...body }));
}
