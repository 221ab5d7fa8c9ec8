// Every kubectl release ../shared/TOOLCHAIN.md lists (1.27 to 1.33) against one cluster, each
// with the everyday commands: create, apply twice (client-side then server-side; the second of
// each says unchanged), get, -o yaml, describe, scale, label, a client-side apply that merges a
// container by name, a `kind: List` file, explain, delete. kubectl 1.27 and 1.28 read /openapi/v2 in gnostic protobuf
// and nothing else, so they prove that document; the newer ones read /openapi/v3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { requireTool, startCluster, toolAvailable, type Cluster } from "./harness";

const RELEASES = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
/** Where Debian's google-cloud-cli keeps the versioned binaries when they are not on PATH. */
const SDK_BIN = "/usr/lib/google-cloud-sdk/bin";

function binaryFor(release: string): string | undefined {
  const name = `kubectl.${release}`;
  if (toolAvailable(name)) return name;
  const path = join(SDK_BIN, name);
  return toolAvailable(path) ? path : undefined;
}

/** Under CI=true a missing release fails the suite (requireTool throws); elsewhere it is skipped. */
function releaseAvailable(release: string): boolean {
  return binaryFor(release) !== undefined || !requireTool(`kubectl.${release}`);
}

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ requestLog: false });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

function manifests(ns: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
          name: http
        env:
        - {name: MODE, value: demo}
      - name: sidecar
        image: busybox
        command: ["sleep", "3600"]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
`;
}

describe.each(RELEASES)("kubectl %s", (release) => {
  const available = releaseAvailable(release);
  const ns = `release-${release.replace(".", "-")}`;
  /** Runs this release's kubectl with a discovery cache of its own; a failure shows its stderr. */
  const run = async (args: string[], stdin?: string): Promise<string> => {
    const bin = binaryFor(release)!;
    const result = await cluster.kubectl([`--cache-dir=${join(cluster.root, `kube-cache-${release}`)}`, ...args], { bin, stdin });
    if (result.code !== 0) throw new Error(`${bin} ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  };

  it.skipIf(!available)("passes the everyday commands", async () => {
    expect(await run(["version", "--client"])).toContain(`v${release}.`);
    expect(await run(["create", "namespace", ns])).toContain(`namespace/${ns} created`);

    const first = await run(["apply", "-f", "-"], manifests(ns, "nginx:1.25"));
    expect(first).toContain("deployment.apps/web created");
    expect(first).toContain("service/web created");
    const again = await run(["apply", "-f", "-"], manifests(ns, "nginx:1.25"));
    expect(again).toContain("deployment.apps/web unchanged");
    expect(again).toContain("service/web unchanged");

    const table = await run(["get", "deployments", "-n", ns]);
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    expect(table).toMatch(/^web\s+0\/1\s+/m);
    const yaml = await run(["get", "service", "web", "-n", ns, "-o", "yaml"]);
    expect(yaml).toMatch(/^kind: Service$/m);
    expect(yaml).toMatch(/clusterIP: 10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/m);
    const described = await run(["describe", "deployment", "web", "-n", ns]);
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Replicas:\s+1 desired/m);

    expect(await run(["scale", "deployment", "web", "-n", ns, "--replicas=3"])).toContain("deployment.apps/web scaled");
    expect(await run(["get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"])).toBe("3");
    expect(await run(["label", "deployment", "web", "-n", ns, "tier=front"])).toContain("deployment.apps/web labeled");

    // A changed image: the client computes a strategic merge patch from the schema it read, so
    // the container is replaced by name (the sidecar and env stay), not the list overwritten.
    expect(await run(["apply", "-f", "-"], manifests(ns, "nginx:1.26"))).toContain("deployment.apps/web configured");
    const spec = JSON.parse(await run(["get", "deployment", "web", "-n", ns, "-o", "json"])) as {
      metadata: { labels: Record<string, string> };
      spec: { replicas: number; template: { spec: { containers: { name: string; image: string; env?: unknown[] }[] } } };
    };
    expect(spec.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(["web=nginx:1.26", "sidecar=busybox"]);
    expect(spec.spec.template.spec.containers[0]!.env).toEqual([{ name: "MODE", value: "demo" }]);
    expect(spec.metadata.labels.tier).toBe("front");

    const serverSide = await run(["apply", "--server-side", "-f", "-"], manifests(ns, "nginx:1.26"));
    expect(serverSide).toContain("deployment.apps/web serverside-applied");
    expect(serverSide).toContain("service/web serverside-applied");
    const serverSideAgain = await run(["apply", "--server-side", "-f", "-"], manifests(ns, "nginx:1.26"));
    expect(serverSideAgain).toContain("deployment.apps/web serverside-applied");

    const explained = await run(["explain", "pod.spec.containers"]);
    expect(explained).toMatch(/KIND:\s+Pod/);
    expect(explained).toMatch(/containers\s+<\[\]Object>/);
    expect(explained).toMatch(/^\s+image\s+<string>/m);
    const explainedV2 = await run(["explain", "deployment.spec.strategy", "--output=plaintext-openapiv2"]);
    expect(explainedV2).toMatch(/RESOURCE:\s+strategy\s+<Object>/);
    expect(explainedV2).toMatch(/^\s+rollingUpdate\s+<Object>/m);

    expect(await run(["create", "configmap", "settings", "-n", ns, "--from-literal=mode=demo"])).toContain("configmap/settings created");
    // A `kind: List` file: kubectl reads /openapi/v2 to validate it (a 406 there failed the apply).
    const list = { apiVersion: "v1", kind: "List", items: ["a", "b"].map((n) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `listed-${n}`, namespace: ns }, data: { n } })) };
    const listed = await run(["apply", "-f", "-"], JSON.stringify(list));
    expect(listed).toContain("configmap/listed-a created");
    expect(listed).toContain("configmap/listed-b created");
    const deleted = await run(["delete", "-f", "-"], manifests(ns, "nginx:1.26"));
    expect(deleted).toContain('deployment.apps "web" deleted');
    expect(deleted).toContain('service "web" deleted');
    expect(await run(["delete", "namespace", ns, "--wait=false"])).toContain(`namespace "${ns}" deleted`);
  }, 120_000);
});
