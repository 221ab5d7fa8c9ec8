// Real helm 3 and helm 4 take a chart written as public charts are (helpers, null blocks, lookup,
// a test hook) through its life on a Docker node: install --wait to uninstall. helm 4 writes by
// server-side apply, helm 3 by client-side three-way merge: each checks a half of the write path.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { clientFromKubeconfig, listThenWatch } from "../../bench/lib/client";
import { REPO_ROOT } from "../../scripts/lib/wrangler";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";
import { HELM_RELEASES, helmBinary, helmFor, type Helm } from "./helm-binaries";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, removeNodeContainers, type InstalledAgent } from "./node-agent-lib";

const run = promisify(execFile);

const HAVE_DOCKER = requireTool("kubectl") && requireTool("curl") && (await requireDockerEngine());
const BINARIES = HAVE_DOCKER ? await Promise.all(HELM_RELEASES.map((r) => helmBinary(r))) : [];
const HAVE_HELM = BINARIES.length === HELM_RELEASES.length && BINARIES.every((b) => b !== undefined);

const CHART = join(REPO_ROOT, "test/fixtures/charts/hello-web");
const OVERRIDE_VALUES = join(CHART, "ci/override-values.yaml");
/** The chart's preStop sleep: a pod cannot have stopped sooner than this after its delete. */
const PRE_STOP_MS = 3_000;
/**
 * How much of the preStop sleep a pod's stay in the API must show: the test sees the pod marked
 * and then removed through its own watch, whose delivery delays differ from the agent's a little.
 */
const PRE_STOP_SEEN_MS = 2_500;
const RELEASE = "web";
const FULLNAME = `${RELEASE}-hello-web`;
const HELM_WAIT = ["--wait", "--timeout", "90s"];
const NODE = `helm-${process.pid}`;

interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  managedFields?: { manager: string; operation: string; subresource?: string }[];
}
interface Container {
  env?: { name: string; value?: string }[];
  resources?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}
interface PodSpec {
  containers: Container[];
  tolerations?: unknown;
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
}
interface Deployment {
  metadata: Meta;
  spec: { replicas: number; template: { metadata: Meta; spec: PodSpec } };
}
interface Pod {
  metadata: Meta;
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
interface HistoryEntry {
  revision: number;
  status: string;
  description: string;
}

let cluster: Cluster;
let agent: InstalledAgent;
let workDir: string;

const kubectl = (...args: string[]) => kubectlOk(cluster, args);
const getJson = async <T>(ns: string, ...args: string[]): Promise<T> => JSON.parse(await kubectl("-n", ns, "get", ...args, "-o", "json")) as T;
const deployment = (ns: string, name = FULLNAME) => getJson<Deployment>(ns, "deployment", name, "--show-managed-fields");

async function exists(ns: string, kind: string, name: string): Promise<boolean> {
  const result = await cluster.kubectl(["-n", ns, "get", kind, name, "-o", "name"]);
  if (result.code !== 0 && !/NotFound/.test(result.stderr)) throw new Error(`kubectl get ${kind} ${name}: ${result.stderr}`);
  return result.code === 0;
}

async function password(ns: string, name = FULLNAME): Promise<string> {
  const encoded = await kubectl("-n", ns, "get", "secret", name, "-o", "jsonpath={.data.password}");
  return Buffer.from(encoded, "base64").toString("utf8");
}

const isReady = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The release's pods of the Deployment's current template (same config checksum), not being deleted. */
async function currentPods(ns: string, release = RELEASE): Promise<Pod[]> {
  const checksum = (await deployment(ns, `${release}-hello-web`)).spec.template.metadata.annotations?.["checksum/config"];
  const pods = await getJson<{ items: Pod[] }>(ns, "pods", "-l", `app.kubernetes.io/instance=${release},app.kubernetes.io/name=hello-web`);
  return pods.items.filter((p) => !p.metadata.deletionTimestamp && p.metadata.annotations?.["checksum/config"] === checksum);
}

const isDeploymentPod = (name: string) => name.startsWith(`${FULLNAME}-`) && name !== `${FULLNAME}-test-config`;

/** Running containers of the Deployment's pods in `ns`. */
async function runningDeploymentContainers(ns: string): Promise<string[]> {
  const format = '{{.Label "io.kubernetes.pod.name"}}';
  const { stdout } = await run("docker", ["ps", "--format", format, "--filter", `label=io.edgeplane.node=${NODE}`, "--filter", `label=io.kubernetes.pod.namespace=${ns}`]);
  return stdout.split("\n").filter(isDeploymentPod);
}

/**
 * Watches the Deployment's pods in `ns`; `stayedMs()` then gives, per pod marked for deletion and
 * removed meanwhile (not one already terminating), how long its object stayed in the API.
 */
async function watchPodRemovals(ns: string): Promise<{ stayedMs(): Map<string, number>; close(): void }> {
  const api = clientFromKubeconfig(cluster.kubeconfig, 2);
  const live = new Set<string>();
  const marked = new Map<string, number>();
  const removed = new Map<string, number>();
  const close = await listThenWatch<Pod>(api, `/api/v1/namespaces/${ns}/pods`, (type, pod) => {
    const name = pod.metadata.name;
    if (!isDeploymentPod(name)) return;
    if (!pod.metadata.deletionTimestamp && type !== "DELETED") live.add(name);
    if (pod.metadata.deletionTimestamp && live.has(name) && !marked.has(name)) marked.set(name, Date.now());
    if (type === "DELETED" && live.has(name)) removed.set(name, Date.now());
  });
  return {
    stayedMs: () => new Map([...removed].map(([name, at]) => [name, at - (marked.get(name) ?? at)])),
    close() {
      close();
      api.agent.destroy();
    },
  };
}

function history(helm: Helm, ns: string): Promise<HistoryEntry[]> {
  return helm.ok(["history", RELEASE, "-n", ns, "-o", "json"]).then((out) => JSON.parse(out) as HistoryEntry[]);
}

describe.skipIf(!HAVE_DOCKER || !HAVE_HELM)("helm 3 and helm 4 against a cluster with a Docker node", () => {
  beforeAll(async () => {
    await ensureBusyboxImage();
    cluster = await startCluster();
    workDir = await mkdtemp(join(tmpdir(), "edgeplane-helm-"));
    agent = await installAgent(cluster, NODE, join(workDir, "agent"));
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectl("get", "nodes")), `node ${NODE} Ready\n${agent.output}\n${agentLog(agent)}`, 60_000);
  }, 180_000);

  afterAll(async () => {
    if (agent) {
      await agent.uninstall().catch(() => agent.kill());
      await removeNodeContainers(NODE);
    }
    await cluster?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  // The two versions run side by side (each in its own namespace), their steps in order.
  describe.concurrent.each(HELM_RELEASES.map((release, i) => ({ release, bin: BINARIES[i] ?? "" })))("helm $release.major", ({ release, bin }) => {
    const ns = `helm${release.major}`;
    let helm: Helm;
    let firstPassword = "";
    let firstChecksum = "";
    let uninstall: { ms: number; containersLeft: string[]; podsStayedMs: Map<string, number> } | undefined;

    beforeAll(() => {
      helm = helmFor(release, bin, cluster.kubeconfig, join(workDir, `helm${release.major}-home`));
    });

    it.sequential("install --wait: the pod is Ready when helm returns, every object exists, null blocks are dropped", async () => {
      const out = await helm.ok(["install", RELEASE, CHART, "-n", ns, "--create-namespace", ...HELM_WAIT]);
      expect(out).toContain("STATUS: deployed");
      expect(out).toContain(`kubectl --namespace ${ns} port-forward $POD_NAME 8080:8080`); // NOTES.txt

      const pods = await currentPods(ns);
      expect(pods.map(isReady)).toEqual([true]);
      for (const kind of ["serviceaccount", "secret", "configmap", "service", "deployment"]) expect(await exists(ns, kind, FULLNAME), kind).toBe(true);
      expect(await exists(ns, "ingress", FULLNAME)).toBe(false);

      // `annotations:` with nothing under it is null: only helm's own annotations are stored.
      const service = await getJson<{ metadata: Meta }>(ns, "service", FULLNAME);
      expect(service.metadata.annotations).toEqual({ "meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": ns });
      const deploy = await deployment(ns);
      const spec = deploy.spec.template.spec;
      expect("tolerations" in spec).toBe(false); // `tolerations: null`
      expect(spec.securityContext).toEqual({});
      expect(spec.terminationGracePeriodSeconds).toBe(5);
      expect(spec.containers[0]?.resources).toEqual({});
      expect(spec.containers[0]?.securityContext).toEqual({});
      expect(spec.containers[0]?.lifecycle?.preStop?.exec?.command).toEqual(["sleep", "3"]);
      expect(deploy.metadata.labels).toMatchObject({ "helm.sh/chart": "hello-web-0.3.1", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/version": "1.36.1" });
      // helm 4 applies server-side; helm 3 creates, then patches client-side.
      const helmEntry = deploy.metadata.managedFields?.find((f) => f.manager === "helm");
      expect(helmEntry?.operation).toBe(release.major === 4 ? "Apply" : "Update");

      firstPassword = await password(ns);
      expect(firstPassword).toMatch(/^[A-Za-z0-9]{20}$/);
      firstChecksum = deploy.spec.template.metadata.annotations?.["checksum/config"] ?? "";
      const record = await getJson<{ type: string; metadata: Meta }>(ns, "secret", `sh.helm.release.v1.${RELEASE}.v1`);
      expect(record.type).toBe("helm.sh/release.v1");
      expect(record.metadata.labels).toMatchObject({ owner: "helm", name: RELEASE, status: "deployed", version: "1" });
    }, 120_000);

    it.sequential("test runs the chart's test pod to Succeeded and shows its log", async () => {
      const out = await helm.ok(["test", RELEASE, "-n", ns, "--logs", "--timeout", "60s"]);
      expect(out).toMatch(/Phase:\s+Succeeded/);
      expect(out).toContain("config ok");
    }, 90_000);

    it.sequential("upgrade --set replicaCount=2: two Ready pods when helm returns, the looked-up password kept", async () => {
      const out = await helm.ok(["upgrade", RELEASE, CHART, "-n", ns, "--set", "replicaCount=2", ...HELM_WAIT]);
      expect(out).toContain(`Release "${RELEASE}" has been upgraded`);
      expect((await deployment(ns)).spec.replicas).toBe(2);
      expect((await currentPods(ns)).map(isReady)).toEqual([true, true]);
      expect(await kubectl("-n", ns, "get", "configmap", FULLNAME, "-o", "jsonpath={.data.index\\.html}")).toBe(`hello from helm\nrelease ${RELEASE} in ${ns}\n`);
      expect(await password(ns)).toBe(firstPassword);
    }, 120_000);

    it.sequential("upgrade --reuse-values -f: the override lands on every object, an Ingress appears, replicas stay 2", async () => {
      await helm.ok(["upgrade", RELEASE, CHART, "-n", ns, "--reuse-values", "-f", OVERRIDE_VALUES, ...HELM_WAIT]);
      const deploy = await deployment(ns);
      expect(deploy.spec.replicas).toBe(2);
      expect(deploy.spec.template.metadata.labels?.tier).toBe("frontend");
      const container = deploy.spec.template.spec.containers[0];
      expect(container?.resources).toEqual({ requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } });
      expect(container?.env?.find((e) => e.name === "EXTRA")?.value).toBe("yes");
      expect((await currentPods(ns)).map(isReady)).toEqual([true, true]);
      const config = await getJson<{ data: Record<string, string> }>(ns, "configmap", FULLNAME);
      expect(config.data).toEqual({ LOG_LEVEL: "debug", "index.html": `hello again from helm\nrelease ${RELEASE} in ${ns}\n` });
      const service = await getJson<{ metadata: Meta }>(ns, "service", FULLNAME);
      expect(service.metadata.annotations?.["example.com/scrape"]).toBe("true");
      const ingress = await getJson<{ metadata: Meta; spec: { rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[] } }>(ns, "ingress", FULLNAME);
      expect(ingress.metadata.annotations?.["example.com/owner"]).toBe("web-team");
      expect(ingress.spec.rules[0]?.host).toBe("hello-web.local");
      expect(ingress.spec.rules[0]?.http.paths[0]?.backend.service.name).toBe(FULLNAME);
      expect(await password(ns)).toBe(firstPassword);
    }, 120_000);

    it.sequential("history shows three revisions, the last one deployed", async () => {
      expect((await history(helm, ns)).map(({ revision, status, description }) => ({ revision, status, description }))).toEqual([
        { revision: 1, status: "superseded", description: "Install complete" },
        { revision: 2, status: "superseded", description: "Upgrade complete" },
        { revision: 3, status: "deployed", description: "Upgrade complete" },
      ]);
    });

    it.sequential("get values, manifest and hooks read the release back", async () => {
      const values = JSON.parse(await helm.ok(["get", "values", RELEASE, "-n", ns, "-o", "json"])) as Record<string, unknown>;
      expect(values).toMatchObject({ replicaCount: 2, greeting: "hello again from helm", logLevel: "debug", ingress: { enabled: true } });
      expect(JSON.parse(await helm.ok(["get", "values", RELEASE, "-n", ns, "--revision", "1", "-o", "json"]))).toBeNull();
      const manifest = await helm.ok(["get", "manifest", RELEASE, "-n", ns]);
      const kinds = parseAllDocuments(manifest).map((d) => (d.toJS() as { kind?: string } | null)?.kind).filter(Boolean);
      expect(kinds.sort()).toEqual(["ConfigMap", "Deployment", "Ingress", "Secret", "Service", "ServiceAccount"]);
      expect(await helm.ok(["get", "hooks", RELEASE, "-n", ns])).toContain('"helm.sh/hook": test');
    });

    it.sequential("rollback to 1 --wait: revision 1's state, the Ingress removed, the password kept", async () => {
      expect(await helm.ok(["rollback", RELEASE, "1", "-n", ns, ...HELM_WAIT])).toContain("Rollback was a success");
      const deploy = await deployment(ns);
      expect(deploy.spec.replicas).toBe(1);
      expect(deploy.spec.template.metadata.annotations?.["checksum/config"]).toBe(firstChecksum);
      expect(deploy.spec.template.metadata.labels?.tier).toBeUndefined();
      const container = deploy.spec.template.spec.containers[0];
      expect(container?.resources).toEqual({});
      expect(container?.env?.map((e) => e.name)).toEqual(["LOG_LEVEL", "PASSWORD"]);
      expect((await currentPods(ns)).map(isReady)).toEqual([true]);
      expect(await exists(ns, "ingress", FULLNAME)).toBe(false);
      const service = await getJson<{ metadata: Meta }>(ns, "service", FULLNAME);
      expect(service.metadata.annotations).toEqual({ "meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": ns });
      const config = await getJson<{ data: Record<string, string> }>(ns, "configmap", FULLNAME);
      expect(config.data).toEqual({ LOG_LEVEL: "info", "index.html": `hello from helm\nrelease ${RELEASE} in ${ns}\n` });
      expect(await password(ns)).toBe(firstPassword);
      expect((await history(helm, ns)).map((h) => `${h.revision} ${h.status} ${h.description}`)).toEqual([
        "1 superseded Install complete",
        "2 superseded Upgrade complete",
        "3 superseded Upgrade complete",
        "4 deployed Rollback to 1",
      ]);
    }, 120_000);

    it.sequential("list shows the release at revision 4", async () => {
      const list = JSON.parse(await helm.ok(["list", "-n", ns, "-o", "json"])) as Record<string, unknown>[];
      expect(list).toEqual([expect.objectContaining({ name: RELEASE, namespace: ns, revision: "4", status: "deployed", chart: "hello-web-0.3.1", app_version: "1.36.1" })]);
    });

    it.sequential(
      release.major === 4
        ? "drift: after kubectl scale, an apply conflicts on .spec.replicas until --force-conflicts takes it back"
        : "drift: after kubectl scale, the three-way merge puts the chart's replicas back",
      async () => {
        await kubectl("-n", ns, "scale", "deployment", FULLNAME, "--replicas=3");
        const upgrade = ["upgrade", RELEASE, CHART, "-n", ns, "--reuse-values", ...HELM_WAIT];
        if (release.major === 4) {
          const refused = await helm.run(upgrade);
          expect(refused.code).not.toBe(0);
          expect(refused.stderr).toContain('conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
          expect((await deployment(ns)).spec.replicas).toBe(3);
          expect((await history(helm, ns)).at(-1)?.status).toBe("failed");
          await helm.ok([...upgrade, "--force-conflicts"]);
          const deploy = await deployment(ns);
          expect(deploy.metadata.managedFields?.some((f) => f.manager === "kubectl")).toBe(false);
        } else {
          await helm.ok(upgrade);
          // helm 3 waits only for enough Ready pods, not for the scale-down: as on any cluster,
          // the two extra pods may not be marked for deletion yet when it returns.
          await eventually(async () => (await currentPods(ns)).length === 1, "the extra pods deleted", 30_000);
        }
        expect((await deployment(ns)).spec.replicas).toBe(1);
        expect((await currentPods(ns)).map(isReady)).toEqual([true]);
        expect((await history(helm, ns)).at(-1)?.status).toBe("deployed");
      },
      120_000,
    );

    it.sequential("adoption: objects from helm template | kubectl apply join a release only with --take-ownership", async () => {
      const rendered = await helm.ok(["template", "adopted", CHART, "-n", ns, "--skip-tests"]);
      const applied = await cluster.kubectl(["-n", ns, "apply", "-f", "-"], { stdin: rendered });
      expect(applied.stderr).toBe("");
      expect(applied.stdout).toContain("deployment.apps/adopted-hello-web created");
      const applyPassword = await password(ns, "adopted-hello-web");

      const refused = await helm.run(["install", "adopted", CHART, "-n", ns]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "adopted"');

      await helm.ok(["install", "adopted", CHART, "-n", ns, "--take-ownership", ...HELM_WAIT]);
      expect((await deployment(ns, "adopted-hello-web")).metadata.annotations).toMatchObject({ "meta.helm.sh/release-name": "adopted", "meta.helm.sh/release-namespace": ns });
      expect(await password(ns, "adopted-hello-web")).toBe(applyPassword); // lookup found kubectl's Secret
      expect((await currentPods(ns, "adopted")).map(isReady)).toEqual([true]);
      expect(await helm.ok(["uninstall", "adopted", "-n", ns, "--wait"])).toContain('release "adopted" uninstalled');
      expect(await exists(ns, "deployment", "adopted-hello-web")).toBe(false);
    }, 120_000);

    it.sequential("uninstall --cascade=foreground --wait: every release object and release record is gone", async () => {
      // helm 4's default (kstatus) wait for deletion can end before it has seen any object
      // (helm/helm#31651): its legacy poller waits as helm 3's does.
      const wait = release.major === 4 ? "--wait=legacy" : "--wait";
      const pods = await watchPodRemovals(ns);
      try {
        const result = await helm.run(["uninstall", RELEASE, "-n", ns, "--cascade=foreground", wait, "--timeout", "90s"]);
        const containersLeft = await runningDeploymentContainers(ns);
        // The pods are gone from the API by now; their DELETED events may still be in flight.
        await eventually(async () => pods.stayedMs().size > 0, "a pod's DELETED event", 5_000).catch(() => undefined);
        uninstall = { ms: result.ms, containersLeft, podsStayedMs: pods.stayedMs() };
        expect(result.stderr).toBe("");
        expect(result.stdout).toContain(`release "${RELEASE}" uninstalled`);
      } finally {
        pods.close();
      }
      for (const kind of ["serviceaccount", "secret", "configmap", "service", "deployment", "ingress"]) expect(await exists(ns, kind, FULLNAME), kind).toBe(false);
      expect(await kubectl("-n", ns, "get", "secrets", "-l", `owner=helm,name=${RELEASE}`, "-o", "name")).toBe("");
      // helm 3 hides failed and uninstalling releases unless --all; helm 4 lists every status.
      const list = await helm.ok(["list", "-n", ns, "-o", "json", ...(release.major === 3 ? ["--all"] : [])]);
      expect(JSON.parse(list)).toEqual([]);
    }, 120_000);

    // Removing a pod's last finalizer while its graceful deletion is pending leaves it to its node
    // (kube-apiserver's ShouldDeleteDuringUpdate), so the foreground cascade waits for the preStop
    // hook and the containers to stop; this once took pods out of the API within 200 ms.
    it.sequential("uninstall --cascade=foreground --wait returns only once the pods have stopped", () => {
      expect(uninstall?.podsStayedMs.size).toBeGreaterThan(0);
      for (const [pod, ms] of uninstall?.podsStayedMs ?? []) expect(ms, `${pod} stayed in the API through its preStop hook`).toBeGreaterThanOrEqual(PRE_STOP_SEEN_MS);
      expect(uninstall?.containersLeft).toEqual([]);
      expect(uninstall?.ms).toBeGreaterThanOrEqual(PRE_STOP_MS);
    });
  });
});
