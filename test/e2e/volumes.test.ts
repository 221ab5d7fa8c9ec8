// The volume binder and the built-in local-path provisioner, driven by kubectl on hollow nodes:
// a claim binds to the pre-created volume that matches (others stay Available), a claim on the
// WaitForFirstConsumer class is provisioned only once its pod is scheduled, pinned to that pod's
// node, and a released volume is deleted or kept according to its reclaim policy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

/** Long enough for several controller passes: a claim still Pending after it was not going to bind. */
const SETTLE_MS = 2_000;

function pv(name: string, size: string, modes: string[], className: string, reclaim = "Retain"): string {
  return `apiVersion: v1
kind: PersistentVolume
metadata: { name: ${name} }
spec:
  capacity: { storage: ${size} }
  accessModes: [${modes.join(", ")}]
  storageClassName: ${className}
  persistentVolumeReclaimPolicy: ${reclaim}
  hostPath: { path: /srv/${name} }
`;
}

function pvc(name: string, size: string, className?: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name} }
spec:
  accessModes: [ReadWriteOnce]
${className === undefined ? "" : `  storageClassName: ${className}\n`}  resources: { requests: { storage: ${size} } }
`;
}

function pod(name: string, claim: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers: [{ name: app, image: busybox, volumeMounts: [{ name: data, mountPath: /data }] }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: ${claim} } }]
`;
}

let cluster: Cluster;
let nodes: HollowNodes;

beforeAll(async () => {
  cluster = await startCluster();
  nodes = await startHollowNodes(cluster.kubeconfig, ["hollow-a", "hollow-b"]);
}, 120_000);

afterAll(async () => {
  await nodes?.stop();
  await cluster?.stop();
});

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

async function apply(...docs: string[]): Promise<string> {
  const res = await cluster.kubectl(["apply", "-f", "-"], { stdin: docs.join("---\n") });
  if (res.code !== 0) throw new Error(`kubectl apply failed: ${res.stderr}`);
  return res.stdout;
}

const get = (kind: string, name: string, path: string) => kubectl("get", kind, name, "-o", `jsonpath=${path}`);
const phase = (kind: string, name: string) => get(kind, name, "{.status.phase}");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("volume binding and provisioning on hollow nodes", () => {
  it("a claim binds to the smallest matching pre-created volume and leaves the others alone", async () => {
    await apply(
      pv("pv-match", "2Gi", ["ReadWriteOnce"], "manual"),
      pv("pv-bigger", "10Gi", ["ReadWriteOnce", "ReadOnlyMany"], "manual"),
      pv("pv-small", "512Mi", ["ReadWriteOnce"], "manual"),
      pv("pv-other-class", "2Gi", ["ReadWriteOnce"], "other"),
      pv("pv-rox", "2Gi", ["ReadOnlyMany"], "manual"),
    );
    await apply(pvc("claim", "1Gi", "manual"));
    await eventually(async () => (await phase("pvc", "claim")) === "Bound", "claim Bound", 15_000);
    expect(await get("pvc", "claim", "{.spec.volumeName} {.status.capacity.storage} {.status.accessModes[0]}")).toBe("pv-match 2Gi ReadWriteOnce");
    expect(await get("pv", "pv-match", "{.status.phase} {.spec.claimRef.namespace}/{.spec.claimRef.name}")).toBe("Bound default/claim");
    await eventually(async () => {
      const rows = await kubectl("get", "pv", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.claimRef.name}{\"\\n\"}{end}");
      return ["pv-bigger", "pv-small", "pv-other-class", "pv-rox"].every((n) => rows.includes(`${n} Available \n`));
    }, "the non-matching volumes Available and unclaimed", 10_000);

    // kubectl's own view of the pair.
    const out = await kubectl("get", "pv,pvc");
    expect(out).toMatch(/^persistentvolume\/pv-match\s+2Gi\s+RWO\s+Retain\s+Bound\s+default\/claim\s+manual\s+/m);
    expect(out).toMatch(/^persistentvolume\/pv-other-class\s+2Gi\s+RWO\s+Retain\s+Available\s+other\s+/m);
    expect(out).toMatch(/^persistentvolumeclaim\/claim\s+Bound\s+pv-match\s+2Gi\s+RWO\s+manual\s+/m);
  }, 45_000);

  it("a claim nothing matches stays Pending", async () => {
    await apply(pvc("too-big", "50Gi", "manual"));
    await sleep(SETTLE_MS);
    expect(await phase("pvc", "too-big")).toBe("Pending");
    expect(await get("pvc", "too-big", "{.spec.volumeName}")).toBe("");
    expect(await phase("pv", "pv-bigger")).toBe("Available");
  }, 30_000);

  it("a claim on the default class waits for its first consumer, then gets a volume on that pod's node", async () => {
    await apply(pvc("dyn", "1Gi"));
    expect(await get("pvc", "dyn", "{.spec.storageClassName}")).toBe("standard");
    await eventually(async () => (await kubectl("get", "events", "--field-selector", "involvedObject.name=dyn")).includes("WaitForFirstConsumer"), "the WaitForFirstConsumer event", 15_000);
    expect(await phase("pvc", "dyn")).toBe("Pending");
    expect(await kubectl("get", "pv", "-o", "jsonpath={.items[*].spec.claimRef.name}")).not.toContain("dyn");

    await apply(pod("consumer", "dyn"));
    await eventually(async () => (await phase("pvc", "dyn")) === "Bound", "dyn Bound", 20_000);
    const node = await get("pod", "consumer", "{.spec.nodeName}");
    expect(node).toMatch(/^hollow-[ab]$/);
    const uid = await get("pvc", "dyn", "{.metadata.uid}");
    const volume = await get("pvc", "dyn", "{.spec.volumeName}");
    expect(volume).toBe(`pvc-${uid}`);
    expect(await get("pvc", "dyn", "{.metadata.annotations.volume\\.kubernetes\\.io/selected-node}")).toBe(node);
    expect(await get("pv", volume, "{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key}={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}")).toBe(`kubernetes.io/hostname=${node}`);
    expect(await get("pv", volume, "{.spec.persistentVolumeReclaimPolicy} {.status.phase} {.metadata.annotations.pv\\.kubernetes\\.io/provisioned-by}")).toBe("Delete Bound edgeplane.io/local-path");
    const out = await kubectl("get", "pv,pvc");
    expect(out).toMatch(new RegExp(`^persistentvolume/${volume}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/dyn\\s+standard\\s+`, "m"));
    expect(out).toMatch(new RegExp(`^persistentvolumeclaim/dyn\\s+Bound\\s+${volume}\\s+1Gi\\s+RWO\\s+standard\\s+`, "m"));
    await eventually(async () => (await phase("pod", "consumer")) === "Running", "consumer Running", 15_000);
  }, 60_000);

  it("deleting a claim deletes a Delete volume and releases a Retain one", async () => {
    const provisioned = await get("pvc", "dyn", "{.spec.volumeName}");
    await kubectl("delete", "pod", "consumer", "--wait=true");
    await kubectl("delete", "pvc", "dyn", "claim");
    await eventually(async () => (await cluster.kubectl(["get", "pv", provisioned])).code !== 0, `${provisioned} deleted`, 20_000);
    expect((await cluster.kubectl(["get", "pv", provisioned])).stderr).toContain("NotFound");
    await eventually(async () => (await phase("pv", "pv-match")) === "Released", "pv-match Released", 20_000);
    // Released keeps the old claim reference: the volume is not handed to another claim.
    expect(await get("pv", "pv-match", "{.spec.claimRef.name}")).toBe("claim");
    await apply(pvc("claim-2", "1Gi", "manual"));
    await eventually(async () => (await phase("pvc", "claim-2")) === "Bound", "claim-2 Bound", 15_000);
    expect(await get("pvc", "claim-2", "{.spec.volumeName}")).toBe("pv-bigger");
    expect(await phase("pv", "pv-match")).toBe("Released");
  }, 60_000);

  it("a claim in use stays Terminating until its pod is gone; a deleted Bound volume waits for its claim", async () => {
    await apply(pv("pv-held", "1Gi", ["ReadWriteOnce"], "held"), pvc("held", "1Gi", "held"), pod("holder", "held"));
    await eventually(async () => (await phase("pvc", "held")) === "Bound", "held Bound", 20_000);
    await eventually(async () => (await phase("pod", "holder")) === "Running", "holder Running", 20_000);
    expect(await get("pvc", "held", "{.metadata.finalizers}")).toContain("kubernetes.io/pvc-protection");
    expect(await get("pv", "pv-held", "{.metadata.finalizers}")).toContain("kubernetes.io/pv-protection");
    await kubectl("delete", "pvc", "held", "--wait=false");
    await kubectl("delete", "pv", "pv-held", "--wait=false");
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(await kubectl("get", "pvc", "held")).toMatch(/^held\s+Terminating\s+pv-held\s+/m);
    expect(await kubectl("get", "pv", "pv-held")).toMatch(/^pv-held\s+1Gi\s+RWO\s+Retain\s+Terminating\s+default\/held\s+/m);
    await kubectl("delete", "pod", "holder", "--wait=true");
    await eventually(async () => (await cluster.kubectl(["get", "pvc", "held"])).code !== 0, "claim held gone", 20_000);
    await eventually(async () => (await cluster.kubectl(["get", "pv", "pv-held"])).code !== 0, "volume pv-held gone", 20_000);
  }, 60_000);

  it("a StorageClass with reclaimPolicy Retain keeps its provisioned volume Released", async () => {
    await apply(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: keep }
provisioner: edgeplane.io/local-path
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`, pvc("kept", "1Gi", "keep"), pod("keeper", "kept"));
    await eventually(async () => (await phase("pvc", "kept")) === "Bound", "kept Bound", 20_000);
    const volume = await get("pvc", "kept", "{.spec.volumeName}");
    expect(await get("pv", volume, "{.spec.persistentVolumeReclaimPolicy} {.spec.storageClassName}")).toBe("Retain keep");
    await kubectl("delete", "pod", "keeper", "--wait=true");
    await kubectl("delete", "pvc", "kept");
    await eventually(async () => (await phase("pv", volume)) === "Released", `${volume} Released`, 20_000);
    expect(await kubectl("get", "pv", volume)).toMatch(new RegExp(`^${volume}\\s+1Gi\\s+RWO\\s+Retain\\s+Released\\s+default/kept\\s+keep\\s+`, "m"));
  }, 60_000);
});
