// Pod Security admission with the real kubectl: a namespace's labels (or the cluster default,
// baseline) decide which pods may be created, refusals read as Kubernetes writes them, and the
// warn level and workload templates come back as kubectl's `Warning:` lines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { kubectlOk } from "./helpers";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
  await kubectlOk(cluster, ["create", "namespace", "plain"]);
  await kubectlOk(cluster, ["create", "namespace", "open"]);
  await kubectlOk(cluster, ["label", "namespace", "open", "pod-security.kubernetes.io/enforce=privileged"]);
  await kubectlOk(cluster, ["create", "namespace", "strict"]);
  await kubectlOk(cluster, ["label", "namespace", "strict", "pod-security.kubernetes.io/enforce=restricted"]);
  await kubectlOk(cluster, ["create", "namespace", "watched"]);
  await kubectlOk(cluster, ["label", "namespace", "watched", "pod-security.kubernetes.io/warn=restricted"]);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

function pod(name: string, spec: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${spec}`;
}

const PRIVILEGED = pod("priv", `  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true}
`);
const HOST_PATH = pod("hostpath", `  containers:
  - {name: c, image: busybox}
  volumes:
  - name: root
    hostPath: {path: /}
`);
const HOST_NETWORK = pod("hostnet", `  hostNetwork: true
  containers:
  - {name: c, image: busybox}
`);
const PLAIN = pod("plain", `  containers:
  - {name: c, image: busybox}
`);
const RESTRICTED = pod("locked", `  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
`);

const apply = (namespace: string, manifest: string) => cluster.kubectl(["-n", namespace, "apply", "-f", "-"], { stdin: manifest });

describe("Pod Security admission", () => {
  it("refuses privileged, hostPath and hostNetwork pods where baseline is enforced (the default), with Kubernetes' message", async () => {
    const privileged = await apply("plain", PRIVILEGED);
    expect(privileged.code).not.toBe(0);
    expect(privileged.stderr).toContain('pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
    const hostPath = await apply("plain", HOST_PATH);
    expect(hostPath.stderr).toContain('violates PodSecurity "baseline:latest": hostPath volumes (volume "root")');
    const hostNetwork = await apply("plain", HOST_NETWORK);
    expect(hostNetwork.stderr).toContain('violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)');
    expect((await cluster.kubectl(["-n", "plain", "get", "pods", "-o", "name"])).stdout.trim()).toBe("");
    expect((await apply("plain", PLAIN)).code).toBe(0);
  });

  it("allows them in a namespace labelled privileged", async () => {
    for (const manifest of [PRIVILEGED, HOST_PATH, HOST_NETWORK]) {
      const result = await apply("open", manifest);
      expect(result.code, result.stderr).toBe(0);
    }
  });

  it("enforces restricted: only a pod that runs as non-root with every capability dropped", async () => {
    const plain = await apply("strict", PLAIN);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    const locked = await apply("strict", RESTRICTED);
    expect(locked.code, locked.stderr).toBe(0);
  });

  it("warns, and admits, where a level is only warned about; a Deployment's template is warned about, not refused", async () => {
    const warned = await apply("watched", PLAIN);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: rooted}
spec:
  selector: {matchLabels: {app: rooted}}
  template:
    metadata: {labels: {app: rooted}}
    spec:
      hostNetwork: true
      containers: [{name: c, image: busybox}]
`;
    const created = await apply("plain", deployment);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)');
  });

  it("leaves kube-system privileged", async () => {
    const result = await apply("kube-system", HOST_NETWORK);
    expect(result.code, result.stderr).toBe(0);
  });
});
