// The workload schemas convert to JSON Schema (what the PATCH engines and OpenAPI read),
// carry Kubernetes' merge keys, and keep every field of realistic manifests.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { applyStrategicMergePatch, SchemaNode, type JsonSchema } from "../../../worker/api/patch";
import { jsonSchemaOf } from "../../../worker/resources/json-schema";
import { pods } from "../../../worker/resources/core/pod";
import { deployments } from "../../../worker/resources/apps/deployment";
import { WORKLOAD_KINDS } from "../../../worker/resources/kinds";
import { create, manifest } from "./workloads-harness";

const FULL_POD = manifest(`
apiVersion: v1
kind: Pod
metadata:
  name: full
  namespace: default
  labels: {app: full}
  annotations: {note: x}
spec:
  initContainers:
  - name: proxy
    image: envoy:1.30
    restartPolicy: Always
    imagePullPolicy: IfNotPresent
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    resources: {}
  containers:
  - name: app
    image: app:1.0
    command: [/app]
    args: [--port, "8080"]
    workingDir: /srv
    ports:
    - {name: http, containerPort: 8080, protocol: TCP, hostPort: 18080, hostIP: 0.0.0.0}
    envFrom:
    - configMapRef: {name: cfg, optional: true}
      prefix: CFG_
    - secretRef: {name: sec}
    env:
    - {name: PLAIN, value: v}
    - name: NODE
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: spec.nodeName}}
    - name: MEM
      valueFrom: {resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
    - name: KEY
      valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: false}}
    - name: PASS
      valueFrom: {secretKeyRef: {name: sec, key: p}}
    resources:
      limits: {cpu: "1", memory: 256Mi}
      requests: {cpu: 250m, memory: 128Mi}
    volumeMounts:
    - {name: data, mountPath: /data, readOnly: true, subPath: sub, mountPropagation: None}
    volumeDevices:
    - {name: raw, devicePath: /dev/xvda}
    livenessProbe:
      exec: {command: [cat, /tmp/ok]}
      initialDelaySeconds: 5
      timeoutSeconds: 2
      periodSeconds: 7
      successThreshold: 1
      failureThreshold: 4
    readinessProbe:
      httpGet:
        path: /healthz
        port: http
        scheme: HTTPS
        httpHeaders: [{name: X-Probe, value: "1"}]
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    startupProbe:
      grpc: {port: 9090, service: health}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 30
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo hi"]}}
      preStop: {sleep: {seconds: 5}}
    terminationMessagePath: /tmp/msg
    terminationMessagePolicy: FallbackToLogsOnError
    imagePullPolicy: IfNotPresent
    securityContext:
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
      privileged: false
      runAsUser: 1000
      runAsGroup: 1000
      runAsNonRoot: true
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      seccompProfile: {type: RuntimeDefault}
    stdin: true
    stdinOnce: false
    tty: true
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data, readOnly: true}}
  - {name: raw, persistentVolumeClaim: {claimName: raw}}
  - {name: host, hostPath: {path: /var/log, type: Directory}}
  - {name: tmp, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  - {name: sec, secret: {secretName: sec, items: [{key: a, path: a.txt, mode: 256}], defaultMode: 256, optional: true}}
  - {name: nfs, nfs: {server: 10.0.0.1, path: /exports, readOnly: true}}
  - {name: csi, csi: {driver: example.csi, volumeAttributes: {size: small}, nodePublishSecretRef: {name: s}}}
  - {name: dapi, downwardAPI: {items: [{path: labels, fieldRef: {apiVersion: v1, fieldPath: metadata.labels}}], defaultMode: 420}}
  restartPolicy: Always
  terminationGracePeriodSeconds: 10
  activeDeadlineSeconds: 3600
  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [svc.cluster.local]
    options: [{name: ndots, value: "2"}]
  nodeSelector: {disk: ssd}
  serviceAccountName: runner
  serviceAccount: runner
  automountServiceAccountToken: false
  nodeName: node-1
  hostNetwork: false
  hostPID: false
  hostIPC: false
  shareProcessNamespace: true
  securityContext:
    runAsUser: 1000
    fsGroup: 2000
    supplementalGroups: [3000]
    sysctls: [{name: net.core.somaxconn, value: "1024"}]
    seccompProfile: {type: RuntimeDefault}
  imagePullSecrets: [{name: regcred}]
  hostname: full
  subdomain: headless
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: zone, operator: In, values: [a, b]}]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        preference: {matchExpressions: [{key: gpu, operator: Exists}]}
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: cache}}
        topologyKey: kubernetes.io/hostname
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector: {matchExpressions: [{key: app, operator: In, values: [full]}]}
          topologyKey: topology.kubernetes.io/zone
          namespaces: [default]
  schedulerName: default-scheduler
  tolerations:
  - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  hostAliases: [{ip: 10.0.0.9, hostnames: [db.local]}]
  priorityClassName: high
  priority: 1000
  readinessGates: [{conditionType: example.com/lb}]
  runtimeClassName: runc
  enableServiceLinks: false
  preemptionPolicy: Never
  overhead: {cpu: 10m}
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: full}}, minDomains: 2}
  os: {name: linux}
  schedulingGates: [{name: example.com/gate}]
  setHostnameAsFQDN: true
`);

const POD_STATUS = {
  phase: "Running",
  conditions: [{ type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T00:00:00Z" }],
  hostIP: "192.168.1.2",
  hostIPs: [{ ip: "192.168.1.2" }],
  podIP: "10.244.0.5",
  podIPs: [{ ip: "10.244.0.5" }],
  startTime: "2025-01-01T00:00:00Z",
  nominatedNodeName: "node-2",
  qosClass: "Burstable",
  initContainerStatuses: [
    { name: "proxy", ready: true, started: true, restartCount: 0, image: "envoy:1.30", imageID: "sha256:1", containerID: "docker://a", state: { running: { startedAt: "2025-01-01T00:00:01Z" } }, lastState: {} },
  ],
  containerStatuses: [
    {
      name: "app",
      ready: false,
      started: false,
      restartCount: 3,
      image: "app:1.0",
      imageID: "sha256:2",
      containerID: "docker://b",
      state: { waiting: { reason: "CrashLoopBackOff", message: "back-off" } },
      lastState: { terminated: { exitCode: 1, reason: "Error", startedAt: "2025-01-01T00:00:02Z", finishedAt: "2025-01-01T00:00:03Z", containerID: "docker://b" } },
    },
  ],
};

describe("workload schemas", () => {
  it("keeps every field of a full pod manifest and a full status", () => {
    const parsed = pods.schema.parse({ ...FULL_POD, status: POD_STATUS });
    expect(parsed).toEqual({ ...FULL_POD, status: POD_STATUS });
  });

  it("stores the full pod unchanged apart from defaults it already had", () => {
    const stored = create(pods, FULL_POD);
    const spec = stored.spec as Record<string, unknown>;
    expect(spec.affinity).toEqual((FULL_POD.spec as Record<string, unknown>).affinity);
    expect(spec.tolerations).toEqual((FULL_POD.spec as Record<string, unknown>).tolerations);
    expect(spec.priority).toBe(1000);
  });

  it("converts to JSON Schema for every kind", () => {
    for (const def of WORKLOAD_KINDS) {
      expect(() => z.toJSONSchema(def.schema, { io: "input" }), def.kind).not.toThrow();
      expect(() => z.toJSONSchema(def.schema), def.kind).not.toThrow();
    }
  });

  it("carries Kubernetes' merge keys where the PATCH engines look", () => {
    const root = SchemaNode.of(jsonSchemaOf(pods) as JsonSchema);
    const spec = root.field("spec")!;
    const container = spec.field("containers")!.items()!;
    const at = (node: SchemaNode | undefined) => [node?.mergeKey, node?.patchStrategy.join(","), node?.listType];
    expect(at(spec.field("containers"))).toEqual(["name", "merge", "map"]);
    expect(at(spec.field("initContainers"))).toEqual(["name", "merge", "map"]);
    expect(at(spec.field("ephemeralContainers"))).toEqual(["name", "merge", "map"]);
    expect(at(spec.field("volumes"))).toEqual(["name", "merge,retainKeys", "map"]);
    expect(at(spec.field("imagePullSecrets"))[0]).toBe("name");
    expect(at(spec.field("hostAliases"))[0]).toBe("ip");
    expect(at(spec.field("readinessGates"))[0]).toBe("conditionType");
    expect(at(spec.field("schedulingGates"))[0]).toBe("name");
    expect(at(spec.field("resourceClaims"))[0]).toBe("name");
    expect(at(spec.field("tolerations"))).toEqual([undefined, "", "atomic"]);
    expect(spec.field("topologySpreadConstraints")!.listMapKeys).toEqual(["topologyKey", "whenUnsatisfiable"]);
    expect(at(container.field("ports"))[0]).toBe("containerPort");
    expect(container.field("ports")!.listMapKeys).toEqual(["containerPort", "protocol"]);
    expect(at(container.field("env"))[0]).toBe("name");
    expect(at(container.field("volumeMounts"))[0]).toBe("mountPath");
    expect(at(container.field("volumeDevices"))[0]).toBe("devicePath");
    expect(at(root.field("status")!.field("conditions"))[0]).toBe("type");
  });

  it("lets a strategic merge patch update one container of a Deployment by name", () => {
    const live = create(deployments, manifest(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", env: [{name: A, value: "1"}]}
      - {name: sidecar, image: "busybox:1.36"}
`));
    const patched = applyStrategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.27", env: [{ name: "B", value: "2" }] }] } } } },
      jsonSchemaOf(deployments) as JsonSchema,
    ) as { spec: { template: { spec: { containers: { name: string; image: string; env?: unknown[] }[] } } } };
    const containers = patched.spec.template.spec.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(["web=nginx:1.27", "sidecar=busybox:1.36"]);
    expect(containers[0]!.env).toHaveLength(2);
    expect(containers[0]!.env).toEqual(expect.arrayContaining([{ name: "A", value: "1" }, { name: "B", value: "2" }]));
  });
});
