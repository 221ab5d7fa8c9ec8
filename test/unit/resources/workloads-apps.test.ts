// Deployments, ReplicaSets, StatefulSets and ControllerRevisions: defaults, validation
// causes with upstream paths/messages, immutable fields, and kubectl's table cells.
import { describe, expect, it } from "vitest";
import { controllerrevisions } from "../../../worker/resources/apps/controller-revision";
import { deployments } from "../../../worker/resources/apps/deployment";
import { replicasets } from "../../../worker/resources/apps/replicaset";
import { statefulsets } from "../../../worker/resources/apps/statefulset";
import { NOW, causesOf, create, manifest, obj, update } from "./workloads-harness";

/** The Deployment of /work/shared/kubernetes-notes.md, tab-indented as it is there. */
const NOTES_DEPLOYMENT = manifest(
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "\tname: k8s-web-hello",
    "spec:",
    "\tselector:",
    "\t\tmatchLabels:",
    "\t\t\tapp: k8s-web-hello",
    "\ttemplate:",
    "\t\tmetadata:",
    "\t\t\tlabels:",
    "\t\t\t\tapp: k8s-web-hello",
    "\t\tspec:",
    "\t\t\tcontainers:",
    "\t\t\t- name: k8s-web-hello",
    "\t\t\t\timage: gerhynes/k8s-web-hello",
    "\t\t\t\tresources:",
    "\t\t\t\t\tlimits:",
    '\t\t\t\t\t\tmemory: "128Mi"',
    '\t\t\t\t\t\tcpu: "500m"',
    "\t\t\t\tports:",
    "\t\t\t\t- containerPort: 3000",
  ].join("\n"),
);

describe("deployment", () => {
  it("round-trips the notes' manifest with SetDefaults_Deployment", () => {
    const d = create(deployments, NOTES_DEPLOYMENT);
    expect(d.metadata.generation).toBe(1);
    expect(d.status).toEqual({});
    expect(d.spec).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: "k8s-web-hello" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: { app: "k8s-web-hello" } },
        spec: {
          containers: [
            {
              name: "k8s-web-hello",
              image: "gerhynes/k8s-web-hello",
              // Templates are not Pods: requests are not defaulted from limits here.
              resources: { limits: { memory: "128Mi", cpu: "500m" } },
              ports: [{ containerPort: 3000, protocol: "TCP" }],
              terminationMessagePath: "/dev/termination-log",
              terminationMessagePolicy: "File",
              imagePullPolicy: "Always",
            },
          ],
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 30,
          dnsPolicy: "ClusterFirst",
          securityContext: {},
          schedulerName: "default-scheduler",
        },
      },
    });
  });

  it("rejects a selector that does not match the template labels", () => {
    const bad = structuredClone(NOTES_DEPLOYMENT);
    (bad.spec as { selector: unknown }).selector = { matchLabels: { app: "other" } };
    expect(causesOf(() => create(deployments, bad))).toEqual([
      {
        field: "spec.template.metadata.labels",
        reason: "FieldValueInvalid",
        message: 'Invalid value: map[string]string{"app":"k8s-web-hello"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it("requires a selector, an image and restartPolicy Always", () => {
    const bad = manifest(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: -1
  template:
    metadata: {labels: {app: d}}
    spec:
      restartPolicy: Never
      containers: [{name: d}]
`);
    expect(causesOf(() => create(deployments, bad)).map((c) => `${c.field} ${c.reason}`)).toEqual([
      "spec.replicas FieldValueInvalid",
      "spec.selector FieldValueRequired",
      "spec.template.spec.containers[0].image FieldValueRequired",
      "spec.template.spec.restartPolicy FieldValueNotSupported",
    ]);
  });

  it("keeps the selector immutable and status from the stored object; bumps generation", () => {
    const d = create(deployments, NOTES_DEPLOYMENT);
    d.status = { replicas: 1 };
    const scaled = structuredClone(d);
    (scaled.spec as { replicas: number }).replicas = 3;
    scaled.status = {};
    const stored = update(deployments, d, scaled);
    expect(stored.metadata.generation).toBe(2);
    expect(stored.status).toEqual({ replicas: 1 });
    const relabel = structuredClone(stored);
    (relabel.spec as { selector: unknown }).selector = { matchLabels: { app: "x" } };
    ((relabel.spec as { template: { metadata: { labels: unknown } } }).template.metadata.labels) = { app: "x" };
    expect(causesOf(() => update(deployments, stored, relabel))).toEqual([
      {
        field: "spec.selector",
        reason: "FieldValueInvalid",
        message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      },
    ]);
  });

  it("rejects maxUnavailable and maxSurge both zero", () => {
    const bad = structuredClone(NOTES_DEPLOYMENT);
    (bad.spec as Record<string, unknown>).strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "0%" } };
    expect(causesOf(() => create(deployments, bad))).toEqual([
      { field: "spec.strategy.rollingUpdate.maxUnavailable", reason: "FieldValueInvalid", message: "Invalid value: 0: may not be 0 when `maxSurge` is 0" },
    ]);
  });

  it("prints READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR", () => {
    const d = create(deployments, NOTES_DEPLOYMENT);
    d.status = { replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    expect(deployments.printerColumns.map((c) => `${c.name}:${c.priority}`)).toEqual([
      "Name:0", "Ready:0", "Up-to-date:0", "Available:0", "Age:0", "Containers:1", "Images:1", "Selector:1",
    ]);
    expect(deployments.printRow(d, new Date("2025-01-01T00:05:00Z"))).toEqual([
      "k8s-web-hello", "1/1", 1, 1, "5m", "k8s-web-hello", "gerhynes/k8s-web-hello", "app=k8s-web-hello",
    ]);
  });
});

const RS = manifest(`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d4f}
spec:
  selector:
    matchLabels: {app: web, pod-template-hash: 5d4f}
    matchExpressions: [{key: tier, operator: In, values: [front, edge]}]
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d4f, tier: front}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}, {name: log, image: busybox}]
`);

describe("replicaset", () => {
  it("defaults replicas and prints DESIRED CURRENT READY with the selector", () => {
    const rs = create(replicasets, RS);
    expect((rs.spec as { replicas: number }).replicas).toBe(1);
    rs.status = { replicas: 1, readyReplicas: 0 };
    expect(replicasets.printRow(rs, NOW)).toEqual([
      "web-5d4f", 1, 1, 0, "0s", "web,log", "nginx:1.27,busybox", "app=web,pod-template-hash=5d4f,tier in (edge,front)",
    ]);
    expect(replicasets.selectableFields!["status.replicas"]!(rs)).toBe("1");
  });
});

const STS = manifest(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`);

describe("statefulset", () => {
  it("fills SetDefaults_StatefulSet and the claim templates' type meta", () => {
    const sts = create(statefulsets, STS);
    expect(sts.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem" },
          status: { phase: "Pending" },
        },
      ],
    });
    expect(sts.status).toEqual({});
  });

  it("lets replicas change but forbids other spec fields", () => {
    const sts = create(statefulsets, STS);
    const scaled = structuredClone(sts);
    (scaled.spec as { replicas: number }).replicas = 3;
    expect(update(statefulsets, sts, scaled).metadata.generation).toBe(2);
    const renamed = structuredClone(sts);
    (renamed.spec as { serviceName: string }).serviceName = "other";
    expect(causesOf(() => update(statefulsets, sts, renamed))).toEqual([
      {
        field: "spec",
        reason: "FieldValueForbidden",
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      },
    ]);
  });

  it("prints READY AGE | CONTAINERS IMAGES", () => {
    const sts = create(statefulsets, STS);
    sts.status = { replicas: 1, readyReplicas: 1 };
    expect(statefulsets.printerColumns.map((c) => c.name)).toEqual(["Name", "Ready", "Age", "Containers", "Images"]);
    expect(statefulsets.printRow(sts, NOW)).toEqual(["db", "1/1", "0s", "db", "postgres:16"]);
  });
});

describe("controllerrevision", () => {
  it("prints CONTROLLER as kind.group/name and keeps data immutable", () => {
    const rev = create(
      controllerrevisions,
      manifest(`
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: db-7c9f
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u1, controller: true}]
data: {spec: {template: {metadata: {labels: {app: db}}}}}
revision: 2
`),
    );
    expect(controllerrevisions.printRow(rev, NOW)).toEqual(["db-7c9f", "statefulset.apps/db", 2, "0s"]);
    expect(controllerrevisions.printRow(obj("ControllerRevision", { revision: 1 }), NOW)[1]).toBe("<none>");
    const changed = { ...structuredClone(rev), data: { spec: {} } };
    expect(causesOf(() => update(controllerrevisions, rev, changed))[0]).toMatchObject({ field: "data", reason: "FieldValueInvalid" });
  });
});
