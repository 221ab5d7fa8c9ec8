// Pod: defaults as kube-apiserver stores them, validation causes with upstream paths and
// messages, update immutability, and kubectl's STATUS / RESTARTS / wide cells.
import { describe, expect, it } from "vitest";
import { pods } from "../../../worker/resources/core/pod";
import { NOW, causesOf, create, manifest, obj, update } from "./workloads-harness";

const NGINX = manifest(`
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {run: web}
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 80
    readinessProbe:
      httpGet: {port: 80}
`);

describe("pod defaults", () => {
  it("fills what kubectl get -o yaml shows", () => {
    const pod = create(pods, NGINX);
    const spec = pod.spec as Record<string, unknown>;
    expect(spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      terminationGracePeriodSeconds: 30,
      schedulerName: "default-scheduler",
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: "default",
      serviceAccount: "default",
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
    });
    expect((spec.containers as unknown[])[0]).toEqual({
      name: "web",
      image: "nginx",
      ports: [{ containerPort: 80, protocol: "TCP" }],
      readinessProbe: { httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      resources: {},
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      imagePullPolicy: "Always",
    });
    expect(pod.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
    expect(pod.metadata.generation).toBeUndefined();
  });

  it("chooses imagePullPolicy from the tag", () => {
    const pod = create(pods, manifest(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: init, image: "busybox:1.36"}]
  containers:
  - {name: a, image: "registry.local:5000/app"}
  - {name: b, image: "nginx:latest"}
  - {name: c, image: "nginx@sha256:abcd"}
`));
    const spec = pod.spec as { containers: { imagePullPolicy: string }[]; initContainers: { imagePullPolicy: string }[] };
    expect(spec.containers.map((c) => c.imagePullPolicy)).toEqual(["Always", "Always", "IfNotPresent"]);
    expect(spec.initContainers[0]!.imagePullPolicy).toBe("IfNotPresent");
  });

  it("computes the QoS class and copies limits to requests", () => {
    const guaranteed = create(pods, manifest(`
apiVersion: v1
kind: Pod
metadata: {name: g}
spec:
  containers: [{name: a, image: x:1, resources: {limits: {cpu: 500m, memory: 128Mi}}}]
`));
    expect(guaranteed.status).toMatchObject({ qosClass: "Guaranteed" });
    expect((guaranteed.spec as { containers: { resources: unknown }[] }).containers[0]!.resources).toEqual({
      limits: { cpu: "500m", memory: "128Mi" },
      requests: { cpu: "500m", memory: "128Mi" },
    });
    const burstable = create(pods, manifest(`
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers: [{name: a, image: x:1, resources: {requests: {cpu: 100m}}}]
`));
    expect(burstable.status).toMatchObject({ qosClass: "Burstable" });
  });

  it("defaults volumes and keeps unknown volume sources whole", () => {
    const pod = create(pods, manifest(`
apiVersion: v1
kind: Pod
metadata: {name: v}
spec:
  containers: [{name: a, image: x:1, volumeMounts: [{name: cfg, mountPath: /cfg}, {name: scratch, mountPath: /tmp}]}]
  volumes:
  - {name: cfg, configMap: {name: app}}
  - {name: scratch}
  - {name: disk, gcePersistentDisk: {pdName: d1, fsType: ext4}}
  - name: token
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
`));
    expect((pod.spec as { volumes: unknown[] }).volumes).toEqual([
      { name: "cfg", configMap: { name: "app", defaultMode: 420 } },
      { name: "scratch", emptyDir: {} },
      { name: "disk", gcePersistentDisk: { pdName: "d1", fsType: "ext4" } },
      {
        name: "token",
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
            { downwardAPI: { items: [{ path: "ns", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
          ],
        },
      },
    ]);
  });

  it("drops unknown fields as the API server does", () => {
    const pod = create(pods, { ...NGINX, spec: { ...(NGINX.spec as object), bogus: 1 } });
    expect((pod.spec as Record<string, unknown>).bogus).toBeUndefined();
  });
});

describe("pod validation", () => {
  it("requires containers and images, with upstream paths", () => {
    expect(causesOf(() => create(pods, manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}")))).toEqual([
      { field: "spec.containers", reason: "FieldValueRequired", message: "Required value" },
    ]);
    const causes = causesOf(() =>
      create(pods, manifest(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: Web, image: nginx}
  - {name: b}
  - {name: b, image: x, ports: [{containerPort: 70000}]}
`)),
    );
    expect(causes.map((c) => [c.field, c.reason])).toEqual([
      ["spec.containers[0].name", "FieldValueInvalid"],
      ["spec.containers[1].image", "FieldValueRequired"],
      ["spec.containers[2].name", "FieldValueDuplicate"],
      ["spec.containers[2].ports[0].containerPort", "FieldValueInvalid"],
    ]);
    expect(causes[2]!.message).toBe('Duplicate value: "b"');
    expect(causes[3]!.message).toBe("Invalid value: 70000: must be between 1 and 65535, inclusive");
  });

  it("rejects unsupported enum values and unknown volume mounts", () => {
    const causes = causesOf(() =>
      create(pods, manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Sometimes, containers: [{name: a, image: x}]}")),
    );
    expect(causes[0]).toMatchObject({ field: "spec.restartPolicy", reason: "FieldValueNotSupported" });
    const notFound = causesOf(() =>
      create(pods, manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x, volumeMounts: [{name: nope, mountPath: /d}]}]}")),
    );
    expect(notFound).toEqual([{ field: "spec.containers[0].volumeMounts[0].name", reason: "FieldValueNotFound", message: 'Not found: "nope"' }]);
  });

  it("keeps a subPath inside its volume", () => {
    const withSubPath = (subPath: string) =>
      causesOf(() =>
        create(pods, manifest(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: a, image: x, volumeMounts: [{name: v, mountPath: /d, subPath: "${subPath}"}]}]}`)),
      );
    expect(withSubPath("../../credential.json")).toEqual([{ field: "spec.containers[0].volumeMounts[0].subPath", reason: "FieldValueInvalid", message: `Invalid value: "../../credential.json": must not contain '..'` }]);
    expect(withSubPath("/etc")[0]).toMatchObject({ field: "spec.containers[0].volumeMounts[0].subPath", reason: "FieldValueInvalid" });
    expect(create(pods, manifest('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: a, image: x, volumeMounts: [{name: v, mountPath: /d, subPath: "a/b..c"}]}]}')).metadata.name).toBe("p");
  });
});

describe("pod update", () => {
  it("allows image changes and keeps status", () => {
    const pod = create(pods, NGINX);
    pod.status = { phase: "Running" };
    const next = structuredClone(pod);
    (next.spec as { containers: { image: string }[] }).containers[0]!.image = "nginx:1.27";
    next.status = { phase: "Failed" };
    const stored = update(pods, pod, next);
    expect((stored.spec as { containers: { image: string }[] }).containers[0]!.image).toBe("nginx:1.27");
    expect(stored.status).toEqual({ phase: "Running" });
  });

  it("accepts a re-apply of the original manifest (defaults and admission fields kept)", () => {
    const pod = create(pods, NGINX);
    expect(() => update(pods, pod, { ...structuredClone(NGINX), metadata: { ...NGINX.metadata } })).not.toThrow();
  });

  it("forbids other spec changes with upstream's message", () => {
    const pod = create(pods, NGINX);
    const next = structuredClone(pod);
    (next.spec as Record<string, unknown>).nodeName = "node-b";
    const causes = causesOf(() => update(pods, pod, next));
    expect(causes).toHaveLength(1);
    expect(causes[0]!.field).toBe("spec");
    expect(causes[0]!.reason).toBe("FieldValueForbidden");
    expect(causes[0]!.message).toMatch(
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
    );
  });

  it("lets tolerations be added but not removed", () => {
    const pod = create(pods, NGINX);
    const added = structuredClone(pod);
    (added.spec as { tolerations: unknown[] }).tolerations.push({ key: "gpu", operator: "Exists", effect: "NoSchedule" });
    expect(() => update(pods, pod, added)).not.toThrow();
    const stored = update(pods, pod, added);
    const removed = structuredClone(stored);
    (removed.spec as { tolerations: unknown[] }).tolerations = [];
    expect(causesOf(() => update(pods, stored, removed))).toEqual([
      { field: "spec.tolerations", reason: "FieldValueForbidden", message: "Forbidden: existing toleration can not be modified except its tolerationSeconds" },
    ]);
  });
});

const RUNNING = obj("Pod", {
  spec: { containers: [{ name: "a" }, { name: "b" }], nodeName: "node-1" },
  status: {
    phase: "Running",
    podIP: "10.0.0.5",
    podIPs: [{ ip: "10.0.0.5" }],
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [
      { name: "a", ready: true, restartCount: 2, state: { running: { startedAt: "2024-12-31T23:59:00Z" } }, lastState: { terminated: { exitCode: 1, finishedAt: "2024-12-31T23:59:30Z" } } },
      { name: "b", ready: true, restartCount: 0, state: { running: {} } },
    ],
  },
});

describe("pod printRow", () => {
  it("prints a running pod with restarts and wide cells", () => {
    expect(pods.printRow(RUNNING, NOW)).toEqual(["x", "2/2", "Running", "2 (30s ago)", "60m", "10.0.0.5", "node-1", "<none>", "<none>"]);
  });

  it("prints a pending pod", () => {
    const pending = obj("Pod", { spec: { containers: [{ name: "a" }], readinessGates: [{ conditionType: "lb" }] }, status: { phase: "Pending" } });
    expect(pods.printRow(pending, NOW)).toEqual(["x", "0/1", "Pending", "0", "60m", "<none>", "<none>", "<none>", "0/1"]);
  });

  it("prints ContainerCreating and CrashLoopBackOff from the waiting reason", () => {
    const waiting = (reason: string, restarts: number) =>
      obj("Pod", {
        spec: { containers: [{ name: "a" }] },
        status: {
          phase: reason === "ContainerCreating" ? "Pending" : "Running",
          containerStatuses: [
            { name: "a", ready: false, restartCount: restarts, state: { waiting: { reason } }, lastState: restarts ? { terminated: { exitCode: 1, finishedAt: "2024-12-31T23:55:00Z" } } : {} },
          ],
        },
      });
    expect(pods.printRow(waiting("ContainerCreating", 0), NOW).slice(1, 4)).toEqual(["0/1", "ContainerCreating", "0"]);
    expect(pods.printRow(waiting("CrashLoopBackOff", 4), NOW).slice(1, 4)).toEqual(["0/1", "CrashLoopBackOff", "4 (5m ago)"]);
  });

  it("prints Completed, Init:0/1 and Terminating", () => {
    const completed = obj("Pod", {
      spec: { containers: [{ name: "a" }] },
      status: { phase: "Succeeded", containerStatuses: [{ name: "a", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
    });
    expect(pods.printRow(completed, NOW).slice(1, 4)).toEqual(["0/1", "Completed", "0"]);
    const init = obj("Pod", {
      spec: { initContainers: [{ name: "i" }], containers: [{ name: "a" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "i", ready: false, restartCount: 0, state: { running: {} } }],
        containerStatuses: [{ name: "a", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      },
    });
    expect(pods.printRow(init, NOW).slice(1, 4)).toEqual(["0/1", "Init:0/1", "0"]);
    const initFailed = structuredClone(init);
    (initFailed.status as { initContainerStatuses: { state: unknown }[] }).initContainerStatuses[0]!.state = { terminated: { exitCode: 2 } };
    expect(pods.printRow(initFailed, NOW)[2]).toBe("Init:ExitCode:2");
    const terminating = { ...RUNNING, metadata: { ...RUNNING.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" } };
    expect(pods.printRow(terminating, NOW)[2]).toBe("Terminating");
  });

  it("counts a started sidecar as a ready container", () => {
    const pod = obj("Pod", {
      spec: { initContainers: [{ name: "proxy", restartPolicy: "Always" }], containers: [{ name: "a" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }],
        initContainerStatuses: [{ name: "proxy", ready: true, started: true, restartCount: 0, state: { running: {} } }],
        containerStatuses: [{ name: "a", ready: true, restartCount: 0, state: { running: {} } }],
      },
    });
    expect(pods.printRow(pod, NOW).slice(1, 3)).toEqual(["2/2", "Running"]);
  });

  it("selects by the fields kube-apiserver supports", () => {
    const f = pods.selectableFields!;
    expect(f["spec.nodeName"]!(RUNNING)).toBe("node-1");
    expect(f["status.phase"]!(RUNNING)).toBe("Running");
    expect(f["status.podIP"]!(RUNNING)).toBe("10.0.0.5");
    expect(f["status.nominatedNodeName"]!(RUNNING)).toBe("");
  });
});
