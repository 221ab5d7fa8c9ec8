// Backup and restore, as the course does it with etcd snapshots: `npm run backup` of a cluster
// with a Deployment, a StatefulSet, Services, a ConfigMap and a Secret; its control plane gone;
// `npm run restore` into a fresh root; the new cluster serves the same objects (same uids, the
// same resourceVersion order, the same Secret values) and its node, whose credential came back
// with the backup, reconnects and keeps the very same pods running. Then the Secrets key is
// rotated (npm run reencrypt) and the old key dropped, and the admin token rotated.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backup } from "../../scripts/backup";
import { clusterPaths } from "../../scripts/lib/local-cluster";
import { reencrypt } from "../../scripts/reencrypt";
import { rotateAdminToken } from "../../scripts/tokens";
import { restore } from "../../scripts/restore";
import { requireTool, startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { startHollowNodes, type HollowNodes } from "./hollow-nodes";

const HAVE_KUBECTL = requireTool("kubectl");
const NODE = "restore-node";

const MANIFESTS = `
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { mode: blue, script: "BEGIN TRANSACTION; SELECT 'it''s'; COMMIT;" }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: s3cr3t-value }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: nginx
        env: [{ name: PASSWORD, valueFrom: { secretKeyRef: { name: creds, key: password } } }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: Service
metadata: { name: db }
spec:
  clusterIP: None
  selector: { app: db }
  ports: [{ port: 5432 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers: [{ name: db, image: postgres }]
`;

/** name → uid of every object the test made, and the pods. */
async function uids(cluster: Cluster): Promise<Record<string, string>> {
  const format = "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.uid}{\"\\n\"}{end}";
  const named = await kubectlOk(cluster, ["get", "configmap/settings", "secret/creds", "deployment/web", "service/web", "service/db", "statefulset/db", "-o", format]);
  const pods = await kubectlOk(cluster, ["get", "pods", "--field-selector", "status.phase=Running", "-o", format]);
  return Object.fromEntries(`${named}\n${pods}`.trim().split("\n").map((line) => line.split("=") as [string, string]));
}

const runningPods = async (cluster: Cluster) =>
  ((await kubectlOk(cluster, ["get", "pods", "--no-headers"])).match(/\s1\/1\s+Running\s/g) ?? []).length;

describe.skipIf(!HAVE_KUBECTL)("backup and restore", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeplane-backup-"));
  let first: Cluster | undefined;
  let second: Cluster | undefined;
  let nodes: HollowNodes | undefined;

  afterAll(async () => {
    await nodes?.stop();
    await first?.stop();
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("restores objects, uids, resourceVersion order and Secret values into a fresh cluster, and its pods come back", async () => {
    first = await startCluster({ requestLog: false });
    nodes = await startHollowNodes(first.kubeconfig, [NODE], { quiet: true });
    await first.kubectl(["apply", "-f", "-"], { stdin: MANIFESTS });
    await eventually(async () => (await runningPods(first!)) === 4, "4 pods Running", 90_000, 500);
    const before = await uids(first);
    expect(Object.keys(before).filter((k) => k.startsWith("Pod/"))).toHaveLength(4);
    const order = (await kubectlOk(first, ["get", "configmap/settings", "secret/creds", "deployment/web", "-o", "jsonpath={.items[*].metadata.resourceVersion}"])).split(" ").map(Number);

    const file = join(dir, "cluster.backup");
    const header = await backup(first.kubeconfig, file);
    expect(header.objects).toBeGreaterThan(10);
    // Secrets stay encrypted in the file: the password appears nowhere in it.
    expect(readFileSync(file, "utf8")).not.toContain(Buffer.from("s3cr3t-value").toString("base64"));
    // A restore never replaces the state of a cluster that is serving.
    await expect(restore({ file, root: first.root })).rejects.toThrow(/a cluster is serving/);

    // The control plane is lost; only the backup and the encryption key are kept.
    const key = join(dir, "secrets-encryption-key");
    copyFileSync(clusterPaths(first.root).secretsKey, key);
    await first.stop();
    first = undefined;

    const root = join(dir, "restored");
    const restored = await restore({ file, root, secretsKeyFile: key });
    expect(restored.objects).toBe(header.objects);
    expect(existsSync(clusterPaths(root).secretsKey)).toBe(true);
    second = await startCluster({ root, requestLog: false });
    await nodes.reconnect(second.kubeconfig);

    expect(await uids(second)).toEqual(before);
    const restoredOrder = (await kubectlOk(second, ["get", "configmap/settings", "secret/creds", "deployment/web", "-o", "jsonpath={.items[*].metadata.resourceVersion}"])).split(" ").map(Number);
    expect(restoredOrder).toEqual([...restoredOrder].sort((a, b) => a - b));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(Buffer.from(await kubectlOk(second, ["get", "secret", "creds", "-o", "jsonpath={.data.password}"]), "base64").toString()).toBe("s3cr3t-value");
    // Values go back byte for byte, SQL-looking ones too.
    expect(await kubectlOk(second, ["get", "configmap", "settings", "-o", "jsonpath={.data.script}"])).toBe("BEGIN TRANSACTION; SELECT 'it''s'; COMMIT;");

    // The node's credential came back: it is Ready again, and the same four pods run on it.
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready`, "m").test(await kubectlOk(second!, ["get", "nodes", "--no-headers"])), "the node Ready in the restored cluster", 60_000, 500);
    await eventually(async () => (await runningPods(second!)) === 4, "4 pods Running again", 60_000, 500);
    expect(await uids(second)).toEqual(before);
    expect(await kubectlOk(second, ["get", "deployment", "web", "--no-headers"])).toMatch(/^web\s+2\/2/);
    // New writes continue above every restored resourceVersion.
    const created = Number(await kubectlOk(second, ["create", "configmap", "after", "-o", "jsonpath={.metadata.resourceVersion}"]));
    expect(created).toBeGreaterThan(Math.max(...restoredOrder));

    // A key rotation: the new key first, the old one still read; npm run reencrypt; then the old
    // key dropped, and the Secret still reads.
    const keyFile = clusterPaths(root).secretsKey;
    const oldKey = readFileSync(keyFile, "utf8").trim();
    const newKey = randomBytes(32).toString("base64");
    await second.stop();
    writeFileSync(keyFile, `${newKey},${oldKey}\n`, { mode: 0o600 });
    second = await startCluster({ root, requestLog: false });
    const resealed = await reencrypt(second.kubeconfig);
    expect(resealed.objects).toBeGreaterThanOrEqual(1);
    expect((await reencrypt(second.kubeconfig)).objects).toBe(0);
    // The admin token rotated too (npm run tokens -- rotate-admin): the old one stops working.
    const oldAdmin = second.token;
    await rotateAdminToken(root);
    await second.stop();
    writeFileSync(keyFile, `${newKey}\n`, { mode: 0o600 });
    second = await startCluster({ root, requestLog: false });
    expect(Buffer.from(await kubectlOk(second, ["get", "secret", "creds", "-o", "jsonpath={.data.password}"]), "base64").toString()).toBe("s3cr3t-value");
    expect(second.token).not.toBe(oldAdmin);
    expect((await second.kubectl(["get", "namespaces", "--token", oldAdmin])).stderr).toMatch(/Unauthorized|must be logged in/);
  }, 300_000);
});
