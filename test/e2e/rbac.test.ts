// RBAC with the real kubectl: the default ClusterRoles, RoleBindings to ServiceAccounts, and
// `kubectl auth can-i` agreeing with what the API then allows or forbids, for a `view`
// ServiceAccount, an `edit` one and one with no binding; `auth can-i --list` and `auth whoami`.
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";

let cluster: Cluster;
const tokens = new Map<string, string>();
const NS = "team";
const WATCH_LIMIT = 3;

beforeAll(async () => {
  // A low watch limit, so the test can reach it (the default is 1,000 watches of a kind per user).
  cluster = await startCluster({ vars: { WATCHES_PER_CLIENT: String(WATCH_LIMIT) } });
  await kubectlOk(cluster, ["create", "namespace", NS]);
  for (const sa of ["viewer", "editor", "nobody", "charted", "boss"]) {
    await kubectlOk(cluster, ["-n", NS, "create", "serviceaccount", sa]);
    tokens.set(sa, (await kubectlOk(cluster, ["-n", NS, "create", "token", sa])).trim());
  }
  await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "viewer-view", "--clusterrole=view", `--serviceaccount=${NS}:viewer`]);
  await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "editor-edit", "--clusterrole=edit", `--serviceaccount=${NS}:editor`]);
  await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "boss-admin", "--clusterrole=admin", `--serviceaccount=${NS}:boss`]);
  await kubectlOk(cluster, ["-n", NS, "create", "configmap", "settings", "--from-literal=a=1"]);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** kubectl as a ServiceAccount: the kubeconfig's server and CA, that account's token. */
const as = (sa: string, args: string[]) => cluster.kubectl([`--token=${tokens.get(sa)}`, ...args]);

describe("RBAC", () => {
  it("serves the four kinds and starts with Kubernetes' default ClusterRoles and bindings", async () => {
    const resources = await kubectlOk(cluster, ["api-resources", "--api-group=rbac.authorization.k8s.io"]);
    for (const kind of ["ClusterRoleBinding", "ClusterRole", "RoleBinding", "Role"]) expect(resources).toContain(kind);
    const roles = await kubectlOk(cluster, ["get", "clusterroles"]);
    for (const name of ["cluster-admin", "admin", "edit", "view", "system:discovery"]) expect(roles).toMatch(new RegExp(`^${name}\\s+\\d{4}-`, "m"));
    expect(await kubectlOk(cluster, ["get", "clusterrolebinding", "cluster-admin", "-o", "wide"])).toMatch(/cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/);
    expect(await kubectlOk(cluster, ["-n", NS, "get", "rolebindings"])).toMatch(/^viewer-view\s+ClusterRole\/view\s/m);
  });

  const matrix: [string, string[], Record<string, boolean>][] = [
    ["get", ["pods"], { viewer: true, editor: true, nobody: false }],
    ["list", ["configmaps"], { viewer: true, editor: true, nobody: false }],
    ["create", ["configmaps"], { viewer: false, editor: true, nobody: false }],
    ["get", ["secrets"], { viewer: false, editor: true, nobody: false }],
    ["create", ["rolebindings"], { viewer: false, editor: false, nobody: false }],
  ];

  it.each(["viewer", "editor", "nobody"])("auth can-i agrees with the API for the %s ServiceAccount", async (sa) => {
    for (const [verb, [resource], expected] of matrix) {
      const answer = await as(sa, ["auth", "can-i", verb, resource!, "-n", NS]);
      expect(`${verb} ${resource}: ${answer.stdout.trim()}`).toBe(`${verb} ${resource}: ${expected[sa] ? "yes" : "no"}`);
    }
    // …and the API does what can-i said.
    const list = await as(sa, ["-n", NS, "get", "configmaps"]);
    expect(list.code === 0).toBe(sa !== "nobody");
    if (sa === "nobody") expect(list.stderr).toContain(`User "system:serviceaccount:${NS}:nobody" cannot list resource "configmaps" in API group "" in the namespace "${NS}"`);
    const created = await as(sa, ["-n", NS, "create", "configmap", `by-${sa}`, "--from-literal=k=v"]);
    expect(created.code === 0).toBe(sa === "editor");
    const secrets = await as(sa, ["-n", NS, "get", "secrets"]);
    expect(secrets.code === 0).toBe(sa === "editor");
    const binding = await as(sa, ["-n", NS, "create", "rolebinding", `by-${sa}`, "--clusterrole=admin", `--serviceaccount=${NS}:${sa}`]);
    expect(binding.code).not.toBe(0);
    // Nothing outside the namespace the bindings name.
    expect((await as(sa, ["auth", "can-i", "get", "pods", "-n", "default"])).stdout.trim()).toBe("no");
    expect((await as(sa, ["-n", "default", "get", "pods"])).code).not.toBe(0);
    // Discovery is open to every authenticated user, bound or not.
    expect((await as(sa, ["api-resources", "--api-group=apps"])).code).toBe(0);
  });

  it("auth whoami names the ServiceAccount and its groups", async () => {
    const out = await as("viewer", ["auth", "whoami"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Username\s+system:serviceaccount:team:viewer/);
    expect(out.stdout).toContain("system:serviceaccounts:team");
    expect(await kubectlOk(cluster, ["auth", "whoami"])).toContain("system:masters");
  });

  it("auth can-i --list shows the rules a binding grants", async () => {
    const out = await as("viewer", ["auth", "can-i", "--list", "-n", NS]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(out.stdout).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(out.stdout).not.toMatch(/^secrets\s/m);
    expect((await kubectlOk(cluster, ["auth", "can-i", "*", "*"])).trim()).toBe("yes");
  });

  it("enforces a Role and RoleBinding as a chart writes them, down to resourceNames", async () => {
    const chart = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: read-settings
  namespace: ${NS}
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["settings"]
  verbs: ["get", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments/scale"]
  verbs: ["patch", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: charted-read-settings
  namespace: ${NS}
subjects:
- kind: ServiceAccount
  name: charted
  namespace: ${NS}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: read-settings
`;
    expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: chart })).code).toBe(0);
    expect((await as("charted", ["-n", NS, "get", "configmap", "settings"])).code).toBe(0);
    expect((await as("charted", ["-n", NS, "get", "configmap", "by-editor"])).code).not.toBe(0);
    expect((await as("charted", ["-n", NS, "get", "configmaps"])).code).not.toBe(0);
    expect((await as("charted", ["-n", NS, "delete", "configmap", "settings"])).code).not.toBe(0);
    expect((await as("charted", ["auth", "can-i", "update", "deployments.apps/web", "--subresource=scale", "-n", NS])).stdout.trim()).toBe("yes");
    expect((await as("charted", ["auth", "can-i", "update", "deployments.apps", "-n", NS])).stdout.trim()).toBe("no");
  });

  it("lets a namespace admin grant what it holds there, and nothing more", async () => {
    expect((await as("boss", ["-n", NS, "create", "rolebinding", "nobody-view", "--clusterrole=view", `--serviceaccount=${NS}:nobody`])).code).toBe(0);
    const escalate = await as("boss", ["-n", NS, "create", "rolebinding", "boss-everything", "--clusterrole=cluster-admin", `--serviceaccount=${NS}:boss`]);
    expect(escalate.code).not.toBe(0);
    expect(escalate.stderr).toContain("is attempting to grant RBAC permissions not currently held");
    const role = await as("boss", ["-n", NS, "create", "role", "node-reader", "--verb=get", "--resource=nodes"]);
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain("is attempting to grant RBAC permissions not currently held");
    expect((await as("boss", ["-n", NS, "create", "role", "pod-reader", "--verb=get", "--verb=list", "--resource=pods"])).code).toBe(0);
    // The viewer binding boss made is in force at once.
    expect((await as("nobody", ["auth", "can-i", "list", "pods", "-n", NS])).stdout.trim()).toBe("yes");
  });

  it("refuses a Role whose rules are malformed, naming the field", async () => {
    const bad = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bad, namespace: ${NS}}
rules:
- apiGroups: [""]
  verbs: ["get"]
`;
    const out = await cluster.kubectl(["apply", "-f", "-"], { stdin: bad });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("rules[0].resources: Required value: resource rules must supply at least one resource");
  });

  it("voids a ServiceAccount's tokens once it is deleted, even if one of the same name comes back", async () => {
    await kubectlOk(cluster, ["-n", NS, "create", "serviceaccount", "temp"]);
    await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "temp-view", "--clusterrole=view", `--serviceaccount=${NS}:temp`]);
    const token = (await kubectlOk(cluster, ["-n", NS, "create", "token", "temp"])).trim();
    const asTemp = (args: string[]) => cluster.kubectl([`--token=${token}`, ...args]);
    expect((await asTemp(["-n", NS, "get", "pods"])).code).toBe(0);
    await kubectlOk(cluster, ["-n", NS, "delete", "serviceaccount", "temp"]);
    const gone = await asTemp(["-n", NS, "get", "pods"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/Unauthorized|provide credentials/);
    await kubectlOk(cluster, ["-n", NS, "create", "serviceaccount", "temp"]);
    expect((await asTemp(["-n", NS, "get", "pods"])).code).not.toBe(0);
  });

  it("impersonation (--as, --as-group): a view user and a node answer can-i as the API then behaves", async () => {
    await kubectlOk(cluster, ["create", "clusterrolebinding", "jane-view", "--clusterrole=view", "--user=jane"]);
    const jane = ["--as=jane", "--as-group=devs"];
    expect((await kubectlOk(cluster, ["auth", "can-i", "list", "pods", "-n", NS, ...jane])).trim()).toBe("yes");
    expect((await kubectlOk(cluster, ["-n", NS, "get", "pods", ...jane])).trim()).toBe("");
    expect((await cluster.kubectl(["auth", "can-i", "create", "configmaps", "-n", NS, ...jane])).stdout.trim()).toBe("no");
    const write = await cluster.kubectl(["-n", NS, "create", "configmap", "by-jane", ...jane]);
    expect(write.stderr).toContain('User "jane" cannot create resource "configmaps" in API group "" in the namespace "team"');
    const whoami = await kubectlOk(cluster, ["auth", "whoami", ...jane]);
    expect(whoami).toMatch(/Username\s+jane/);
    expect(whoami).toMatch(/Groups\s+\[devs system:authenticated\]/);
    // A node, through the Node authorizer: its own kind of reads, not Secrets it has no pod for.
    const node = ["--as=system:node:vm1", "--as-group=system:nodes"];
    expect((await kubectlOk(cluster, ["auth", "can-i", "list", "nodes", ...node])).trim()).toBe("yes");
    expect((await kubectlOk(cluster, ["get", "nodes", ...node])).trim()).toBe("");
    expect((await cluster.kubectl(["auth", "can-i", "get", "secrets", "-n", NS, ...node])).stdout.trim()).toBe("no");
    expect((await cluster.kubectl(["-n", NS, "get", "secrets", ...node])).code).not.toBe(0);
    // Only with the impersonate verb: a viewer may not, an editor may become an account of its namespace.
    const denied = await as("viewer", ["-n", NS, "get", "pods", "--as=jane"]);
    expect(denied.stderr).toContain('cannot impersonate resource "users" in API group ""');
    const asViewer = await as("editor", ["auth", "can-i", "get", "secrets", "-n", NS, `--as=system:serviceaccount:${NS}:viewer`]);
    expect(asViewer.stdout.trim()).toBe("no");
  });

  it("answers a SubjectAccessReview about another user for cluster-admin only", async () => {
    const review = JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user: "jane", groups: ["devs"], resourceAttributes: { namespace: NS, verb: "list", resource: "pods" } } });
    const created = await cluster.kubectl(["create", "--raw", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "-f", "-"], { stdin: review });
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).status).toEqual({ allowed: true });
    const byViewer = await cluster.kubectl([`--token=${tokens.get("viewer")}`, "create", "--raw", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "-f", "-"], { stdin: review });
    expect(byViewer.code).not.toBe(0);
    expect(byViewer.stderr).toContain("Forbidden");
    // The namespaced form answers about its namespace only, and never about URLs.
    const local = (spec: object) => cluster.kubectl(["create", "--raw", `/apis/authorization.k8s.io/v1/namespaces/${NS}/localsubjectaccessreviews`, "-f", "-"], { stdin: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "LocalSubjectAccessReview", spec }) });
    const inTeam = await local({ user: "jane", resourceAttributes: { namespace: NS, verb: "get", resource: "secrets" } });
    expect(inTeam.code, inTeam.stderr).toBe(0);
    expect(JSON.parse(inTeam.stdout).status).toEqual({ allowed: false });
    expect((await local({ user: "jane", resourceAttributes: { namespace: "default", verb: "get", resource: "pods" } })).code).not.toBe(0);
    expect((await local({ user: "jane", nonResourceAttributes: { path: "/api", verb: "get" } })).code).not.toBe(0);
  });

  it("closes the side doors: a named watch, an apply that creates, a binding to a role not there yet", async () => {
    // charted may get and watch ConfigMap "settings" only (the chart test above): a watch in the
    // old named form streams that object and no other.
    const watched = await as("charted", ["get", "--raw", `/api/v1/namespaces/${NS}/configmaps/settings?watch=true&timeoutSeconds=1`]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('"name":"settings"');
    expect(watched.stdout).not.toContain('"name":"by-editor"');
    expect((await as("charted", ["get", "--raw", `/api/v1/namespaces/${NS}/configmaps/by-editor?watch=true&timeoutSeconds=1`])).code).not.toBe(0);
    // patch lets an apply change an object, not create one.
    await kubectlOk(cluster, ["-n", NS, "create", "role", "patcher", "--verb=patch", "--resource=configmaps"]);
    await kubectlOk(cluster, ["-n", NS, "create", "rolebinding", "charted-patcher", "--role=patcher", `--serviceaccount=${NS}:charted`]);
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied, namespace: ${NS}}\ndata: {a: "1"}\n`;
    const applied = await cluster.kubectl([`--token=${tokens.get("charted")}`, "apply", "--server-side", "-f", "-"], { stdin: cm });
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toContain('cannot create resource "configmaps"');
    // A binding to a role that does not exist yet would grant whatever it later holds.
    const early = await as("boss", ["-n", NS, "create", "rolebinding", "boss-later", "--role=not-yet", `--serviceaccount=${NS}:boss`]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('"not-yet" not found');
  });

  it("bounds the watches one client holds open: over the limit is 429, other clients and system:masters are not held back", async () => {
    const dispatcher = new Agent({ connect: { ca: cluster.caPem } });
    const open: AbortController[] = [];
    const watch = async (token: string, timeoutSeconds = 60) => {
      const abort = new AbortController();
      const response = await fetch(`${cluster.url}/api/v1/namespaces/${NS}/configmaps?watch=true&timeoutSeconds=${timeoutSeconds}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
        dispatcher,
      });
      // A refusal's body is a Status that ends; an open watch is closed at the end of the test.
      if (response.status === 200) open.push(abort);
      return response;
    };
    try {
      // The first ends on its own timeout (3 s), as every watch of a client eventually does.
      const shortLived = Date.now();
      expect((await watch(tokens.get("viewer")!, 3)).status).toBe(200);
      for (let i = 1; i < WATCH_LIMIT; i++) expect((await watch(tokens.get("viewer")!)).status).toBe(200);
      const refused = await watch(tokens.get("viewer")!);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("1");
      const status = (await refused.json()) as { reason: string; message: string; details?: { retryAfterSeconds?: number } };
      expect(status.reason).toBe("TooManyRequests");
      expect(status.message).toContain(`"system:serviceaccount:${NS}:viewer"`);
      expect(status.details?.retryAfterSeconds).toBe(1);
      // Another client, and the admin (system:masters), are not counted against it.
      expect((await watch(tokens.get("editor")!)).status).toBe(200);
      for (let i = 0; i <= WATCH_LIMIT; i++) expect((await watch(cluster.token)).status).toBe(200);
      // A watch that ended gives its place back.
      await new Promise((r) => setTimeout(r, Math.max(0, shortLived + 3_500 - Date.now())));
      await eventually(async () => {
        const again = await watch(tokens.get("viewer")!);
        if (again.status !== 200) await again.text();
        return again.status === 200;
      }, "the place of a watch that ended", 10_000, 300);
    } finally {
      for (const abort of open) abort.abort();
      await dispatcher.close();
    }
  });
});
