// The beginner's kubectl commands against a real local cluster (workerd + D1), driven
// by the real kubectl binary and checked on what it prints, as a new user would see it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startCluster, type Cluster } from "./harness";
import { kubectlOk } from "./helpers";

const MANIFESTS = join(import.meta.dirname, "manifests");
let cluster: Cluster;

const kubectl = (...args: string[]) => kubectlOk(cluster, args);

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("first steps", () => {
  it("kubectl version shows client and server", async () => {
    const out = await kubectl("version");
    expect(out).toMatch(/Client Version: v1\.\d+/);
    expect(out).toMatch(/Server Version: v1\.32/);
  });

  it("cluster-info names the control plane", async () => {
    const out = await kubectl("cluster-info");
    expect(out).toContain("Kubernetes control plane");
    expect(out).toContain(cluster.url);
  });

  it("api-resources lists namespaced and cluster-scoped kinds", async () => {
    const all = await kubectl("api-resources");
    expect(all).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(all).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    const cluster = await kubectl("api-resources", "--namespaced=false");
    expect(cluster).toMatch(/^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m);
    expect(cluster).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    expect(cluster).not.toMatch(/^pods\s/m);
  });

  it("the four system namespaces exist from the start", async () => {
    const out = await kubectl("get", "namespaces");
    expect(out).toMatch(/^NAME\s+STATUS\s+AGE$/m);
    for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      expect(out).toMatch(new RegExp(`^${ns}\\s+Active\\s+\\d+`, "m"));
    }
  });

  it("create namespace, then list pods in it", async () => {
    expect(await kubectl("create", "namespace", "team-a")).toContain("namespace/team-a created");
    const res = await cluster.kubectl(["get", "pods", "--namespace=team-a"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("No resources found in team-a namespace.");
  });
});

describe("pods", () => {
  it("run, get -o wide, describe, delete", async () => {
    expect(await kubectl("run", "nginx", "--image=nginx")).toContain("pod/nginx created");
    const wide = await kubectl("get", "pods", "-o", "wide");
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    expect(wide).toMatch(/^nginx\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);
    const described = await kubectl("describe", "pod", "nginx");
    expect(described).toMatch(/^Name:\s+nginx$/m);
    expect(described).toMatch(/^Namespace:\s+default$/m);
    expect(described).toMatch(/Image:\s+nginx/);
    expect(described).toMatch(/^Labels:\s+run=nginx$/m);
    expect(await kubectl("delete", "pod", "nginx")).toContain('pod "nginx" deleted');
    const after = await cluster.kubectl(["get", "pod", "nginx"]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('pods "nginx" not found');
  });
});

describe("deployments and services", () => {
  it("create, get, describe, scale, set image", async () => {
    expect(await kubectl("create", "deployment", "web", "--image=nginx")).toContain("deployment.apps/web created");
    // UP-TO-DATE turns 1 as soon as the controllers have made the pod (no node runs it yet).
    expect(await kubectl("get", "deploy")).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n(.*\n)*web\s+0\/1\s+[01]\s+0\s+\S+$/m);
    const described = await kubectl("describe", "deployment", "web");
    expect(described).toMatch(/^Selector:\s+app=web$/m);
    expect(described).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(await kubectl("scale", "deployment", "web", "--replicas=3")).toContain("deployment.apps/web scaled");
    expect(await kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}")).toBe("3");
    expect(await kubectl("set", "image", "deployment/web", "nginx=nginx:1.27")).toContain("deployment.apps/web image updated");
    expect(await kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")).toBe("nginx:1.27");
    expect(await kubectl("get", "deployment", "web", "-o", "jsonpath={.metadata.generation}")).toBe("3");
  });

  it("expose --type=NodePort, get svc and endpoints", async () => {
    expect(await kubectl("expose", "deployment", "web", "--type=NodePort", "--port=80")).toContain("service/web exposed");
    const svc = await kubectl("get", "svc", "web");
    expect(svc).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    expect(svc).toMatch(/^web\s+NodePort\s+\S+\s+<none>\s+80(:\d+)?\/TCP\s+\S+$/m);
    const res = await cluster.kubectl(["get", "endpoints"]);
    expect(res.code).toBe(0);
  });
});

describe("declarative manifests", () => {
  const manifest = (name: string) => join(MANIFESTS, name);

  it("apply twice with a changed field, then delete -f", async () => {
    expect(await kubectl("apply", "-f", manifest("deployment.yaml"))).toContain("deployment.apps/k8s-web-hello created");
    expect(await kubectl("apply", "-f", manifest("deployment.yaml"))).toContain("deployment.apps/k8s-web-hello unchanged");
    const changed = readFileSync(manifest("deployment.yaml"), "utf8").replace('memory: "128Mi"', 'memory: "256Mi"');
    const res = await cluster.kubectl(["apply", "-f", "-"], { stdin: changed });
    expect(res.stdout).toContain("deployment.apps/k8s-web-hello configured");
    expect(await kubectl("get", "deploy", "k8s-web-hello", "-o", "jsonpath={.spec.template.spec.containers[0].resources.limits.memory}")).toBe("256Mi");
    expect(await kubectl("delete", "-f", manifest("deployment.yaml"))).toContain('deployment.apps "k8s-web-hello" deleted');
  });

  it("apply --server-side twice", async () => {
    expect(await kubectl("apply", "--server-side", "-f", manifest("service-lb.yaml"))).toContain("service/k8s-web-hello serverside-applied");
    const changed = readFileSync(manifest("service-lb.yaml"), "utf8").replace("port: 3000", "port: 3001");
    const res = await cluster.kubectl(["apply", "--server-side", "-f", "-"], { stdin: changed });
    expect(res.stdout).toContain("service/k8s-web-hello serverside-applied");
    expect(await kubectl("get", "svc", "k8s-web-hello", "-o", "jsonpath={.spec.ports[0].port}")).toBe("3001");
    const managers = await kubectl("get", "svc", "k8s-web-hello", "-o", "jsonpath={.metadata.managedFields[*].manager}");
    expect(managers).toContain("kubectl");
  });

  it("every beginner manifest applies and reads back", async () => {
    for (const file of ["services.yaml", "config.yaml", "ingress.yaml", "storage.yaml"]) {
      const out = await kubectl("apply", "-f", manifest(file));
      expect(out).toMatch(/created|configured|unchanged/);
    }
    expect(await kubectl("get", "svc", "mongodb-headless", "-o", "jsonpath={.spec.clusterIP}")).toBe("None");
    expect(await kubectl("get", "configmap", "mysql-configmap", "-n", "my-namespace", "-o", "jsonpath={.data.db_url}")).toBe("mysql-service.database");
    expect(await kubectl("get", "ingress", "myapp-ingress", "-o", "jsonpath={.spec.rules[0].http.paths[0].backend.service.name}")).toBe("myapp-internal-service");
    expect(await kubectl("get", "ingress", "tls-example-ingress", "-o", "jsonpath={.spec.tls[0].secretName}")).toBe("myapp-secret-tls");
    expect(await kubectl("get", "pv", "pv-name", "-o", "jsonpath={.spec.capacity.storage}")).toBe("5Gi");
    expect(await kubectl("get", "pvc", "pvc-name", "-o", "jsonpath={.spec.resources.requests.storage}")).toBe("10Gi");
    expect(await kubectl("get", "storageclass", "storage-class-name", "-o", "jsonpath={.provisioner}")).toBe("kubernetes.io/aws-ebs");
  });

  it("apply -k on a kustomization, twice", async () => {
    const first = await kubectl("apply", "-k", manifest("kustomize"));
    expect(first).toContain("namespace/kustomized created");
    expect(first).toMatch(/configmap\/dev-web-config-\w+ created/);
    expect(first).toContain("service/dev-web created");
    expect(first).toContain("deployment.apps/dev-web created");
    const second = await kubectl("apply", "-k", manifest("kustomize"));
    expect(second).toContain("deployment.apps/dev-web unchanged");
    const cm = await kubectl("get", "deploy", "dev-web", "-n", "kustomized", "-o", "jsonpath={.spec.template.spec.containers[0].envFrom[0].configMapRef.name}");
    expect(cm).toMatch(/^dev-web-config-\w+$/);
    expect(await kubectl("get", "svc", "dev-web", "-n", "kustomized", "-o", "jsonpath={.spec.selector.env}")).toBe("dev");
  });

  it("get -o yaml and -o json", async () => {
    const yaml = await kubectl("get", "svc", "myapp-internal-service", "-o", "yaml");
    expect(yaml).toMatch(/^kind: Service$/m);
    expect(yaml).toMatch(/^  resourceVersion: "\d+"$/m);
    const json = JSON.parse(await kubectl("get", "configmap", "mysql-configmap", "-n", "my-namespace", "-o", "json"));
    expect(json.kind).toBe("ConfigMap");
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("label, and select by label", async () => {
    expect(await kubectl("label", "svc", "myapp-internal-service", "tier=backend")).toContain("service/myapp-internal-service labeled");
    const selected = await kubectl("get", "svc", "-l", "tier=backend", "-o", "name");
    expect(selected.trim()).toBe("service/myapp-internal-service");
    const notSelected = await kubectl("get", "svc", "-l", "tier!=backend", "-o", "name");
    expect(notSelected).not.toContain("myapp-internal-service");
  });

  it("create configmap --from-literal and secret generic", async () => {
    expect(await kubectl("create", "configmap", "app-config", "--from-literal=color=blue")).toContain("configmap/app-config created");
    expect(await kubectl("get", "cm", "app-config", "-o", "jsonpath={.data.color}")).toBe("blue");
    expect(await kubectl("create", "secret", "generic", "db-pass", "--from-literal=password=s3cr3t")).toContain("secret/db-pass created");
    const b64 = await kubectl("get", "secret", "db-pass", "-o", "jsonpath={.data.password}");
    expect(Buffer.from(b64, "base64").toString()).toBe("s3cr3t");
    // At rest the database holds neither the value nor its base64 form.
    const files = readdirSync(cluster.root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".sqlite"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const raw = readFileSync(join(cluster.root, f));
      expect(raw.includes("s3cr3t")).toBe(false);
      expect(raw.includes(b64)).toBe(false);
    }
  });
});
