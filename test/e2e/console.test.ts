// The web console in real headless Chromium (Debian's, driven by playwright-core) against a local
// cluster: sign in with the admin token, and watch a Deployment's pods appear, scale and go as
// kubectl changes them, with no reload. The cluster has no node: the pods stay Pending, which is
// all the console needs to show. Screenshots land in the directory SCREENSHOTS names, if any.
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, removeNodeContainers } from "./node-agent-lib";
import { HELM_RELEASES, helmBinary, helmFor } from "./helm-binaries";
import { REPO_ROOT } from "../../scripts/lib/wrangler";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && (process.env.CI === "true" || process.env.CI === "1")) {
  throw new Error(`${CHROMIUM} is required by the console tests (apt-get install chromium); CI=true: failing, not skipping`);
}

// The log test runs a real container: a node agent on this machine's Docker engine.
const HAVE_DOCKER = haveChromium && (await requireDockerEngine());

describe.skipIf(!haveChromium)("web console", () => {
  let cluster: Cluster;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const shot = async (name: string) => {
    const dir = process.env.SCREENSHOTS;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    cluster = await startCluster({ requestLog: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-background-networking"] });
    // The local cluster's certificate is signed by its own CA, which this browser does not know.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on("console", (m) => {
      // A watch that drops (the server ends it, the connection breaks) is resumed by the console:
      // the browser's own line about it is not the console's error.
      if (m.type() === "error" && !m.location().url.includes("watch=1")) errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => errors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  /** axe-core's serious and critical violations on the page as it stands. */
  const accessibilityProblems = async (): Promise<string[]> => {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact?: string; nodes: unknown[] }[] }> } }).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
  };

  const rowNames = () => page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));

  it("is served by the Worker at / and signs in with a token, which a wrong one cannot", async () => {
    await page.goto(`${cluster.url}/`);
    await page.getByLabel("Bearer token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not valid");
    await shot("sign-in");
    expect(await accessibilityProblems()).toEqual([]);
    // The browser logs the refused token's 401 itself; from here on no error is expected.
    errors.length = 0;
    await page.getByLabel("Bearer token").fill(cluster.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Kinds" }).getByRole("link", { name: "Deployment apps" }).waitFor();
    // The token stays in the tab's session storage, never in the address.
    expect(page.url()).not.toContain(cluster.token);
    expect(await page.evaluate(() => sessionStorage.getItem("edgeplane.token"))).toBe(cluster.token);
  });

  it("shows a Deployment's pods appear live; its page scales it to 3 and deletes it, and the list follows", async () => {
    await page.goto(`${cluster.url}/#/pods/default`);
    await page.getByText("No pods in default.").waitFor();
    await kubectlOk(cluster, ["create", "deployment", "web", "--image=nginx", "--replicas=1"]);
    await expect.poll(rowNames, { timeout: 30_000 }).toHaveLength(1);
    expect((await rowNames())[0]).toMatch(/^web-/);
    expect(await page.locator("thead th").allTextContents()).toEqual(["Name", "Ready", "Status", "Restarts", "Age"]);
    await expect.poll(() => page.locator("tbody td.wait").first().textContent(), { timeout: 30_000 }).toBe("Pending");

    // The Deployment's own page: its YAML, its Events, and the scale and delete actions.
    await page.goto(`${cluster.url}/#/deployments.apps/default`);
    await page.getByRole("link", { name: "web", exact: true }).click();
    await expect.poll(() => page.getByLabel("YAML").textContent(), { timeout: 30_000 }).toContain("kind: Deployment");
    await expect.poll(() => page.getByRole("region", { name: "events" }).textContent(), { timeout: 30_000 }).toContain("ScalingReplicaSet");
    // Its Message column too: kubectl's default columns, each cell under its own heading.
    await expect.poll(() => page.getByRole("region", { name: "events" }).textContent()).toContain("Scaled up replica set");
    await shot("deployment");
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByLabel("Replicas").fill("3");
    await page.getByRole("button", { name: "Scale" }).click();
    await page.getByText("Scaled to 3.").waitFor();
    await expect.poll(() => page.getByLabel("YAML").textContent(), { timeout: 30_000 }).toContain("replicas: 3");
    expect(await kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("3");

    await page.goto(`${cluster.url}/#/pods/default`);
    await expect.poll(rowNames, { timeout: 30_000 }).toHaveLength(3);
    await shot("pods");
    expect(await accessibilityProblems()).toEqual([]);

    await page.goto(`${cluster.url}/#/deployments.apps/default/web`);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByText("Deployment web is gone.").waitFor({ timeout: 30_000 });
    expect((await cluster.kubectl(["get", "deployment", "web"])).code).not.toBe(0);
    await page.goto(`${cluster.url}/#/pods/default`);
    await page.getByText("No pods in default.").waitFor({ timeout: 30_000 });
  }, 120_000);

  it("applies a Deployment from the editor after a server-side dry run, and shows a bad manifest's 422 at its field", async () => {
    const deployment = (name: string, replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n`;
    await page.goto(`${cluster.url}/#/apply/default`);
    await page.getByLabel(/^Manifest/).fill(deployment("from-editor", 2));
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.getByRole("list", { name: "Apply results" }).textContent(), { timeout: 30_000 }).toBe("Deployment/from-editor: applied");
    await page.goto(`${cluster.url}/#/pods/default`);
    await expect.poll(async () => (await rowNames()).filter((n) => n?.startsWith("from-editor-")).length, { timeout: 30_000 }).toBe(2);

    await page.goto(`${cluster.url}/#/apply/default`);
    await page.getByLabel(/^Manifest/).fill(deployment("refused", -1));
    await page.getByRole("button", { name: "Apply" }).click();
    const results = page.getByRole("list", { name: "Apply results" });
    await expect.poll(() => results.textContent(), { timeout: 30_000 }).toContain("Deployment/refused:");
    expect(await results.locator("code").allTextContents()).toContain("spec.replicas");
    await shot("apply-refused");
    expect(await accessibilityProblems()).toEqual([]);
    // Refused at the dry run: nothing was written.
    expect((await cluster.kubectl(["get", "deployment", "refused"])).code).not.toBe(0);
    // The browser logs the refused request's 422 itself; it was the expected answer.
    const unexpected = errors.filter((e) => !/status of 422 .*\/deployments\/refused\?/.test(e));
    errors.length = 0;
    errors.push(...unexpected);
    await kubectlOk(cluster, ["delete", "deployment", "from-editor"]);
  }, 120_000);

  it("shows a Helm release the real helm installed: its history, values and manifest, live", async () => {
    const bin = await helmBinary(HELM_RELEASES[0]!);
    if (!bin) return; // not under CI: helmBinary throws there rather than skip
    const home = await mkdtemp(join(tmpdir(), "edgeplane-console-helm-"));
    try {
      const helm = helmFor(HELM_RELEASES[0]!, bin, cluster.kubeconfig, home);
      await page.goto(`${cluster.url}/#/helm/default`);
      await page.getByText("No Helm releases in default.").waitFor();
      await helm.ok(["install", "hello", join(REPO_ROOT, "test/fixtures/charts/hello-web"), "-n", "default", "--set", "replicaCount=1"]);
      await expect.poll(rowNames, { timeout: 30_000 }).toEqual(["hello"]);
      // pending-install first, then deployed: the row follows helm's own writes.
      await expect
        .poll(() => page.locator("tbody tr td").allTextContents(), { timeout: 30_000 })
        .toEqual(expect.arrayContaining(["hello", "default", "1", "deployed", "hello-web-0.3.1", "1.36.1"]));
      await shot("helm-releases");
      expect(await accessibilityProblems()).toEqual([]);
      await page.getByRole("link", { name: "hello", exact: true }).click();
      await expect.poll(() => page.getByLabel("Manifest").textContent(), { timeout: 30_000 }).toContain("kind: Deployment");
      await expect.poll(() => page.getByLabel("Values").textContent(), { timeout: 30_000 }).toContain("replicaCount: 1");
      await helm.ok(["upgrade", "hello", join(REPO_ROOT, "test/fixtures/charts/hello-web"), "-n", "default", "--set", "replicaCount=2"]);
      // The new revision shows up in the history without a reload.
      await expect.poll(() => page.getByRole("table", { name: "History" }).locator("tbody tr").count(), { timeout: 30_000 }).toBe(2);
      await expect.poll(() => page.getByLabel("Values").textContent(), { timeout: 30_000 }).toContain("replicaCount: 2");
      await shot("helm-release");
      expect(await accessibilityProblems()).toEqual([]);
      await helm.ok(["uninstall", "hello", "-n", "default"]);
      await page.getByText("No release hello in default.").waitFor({ timeout: 30_000 });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);

  it("makes a join token for a new machine and shows its install command", async () => {
    await page.goto(`${cluster.url}/#/nodes/default`);
    await page.getByRole("button", { name: "Add a node" }).click();
    const command = await page.getByLabel("Install command").textContent();
    const match = /^curl -fsSL https:\/\/127\.0\.0\.1:\d+\/install\.sh \| sudo sh -s -- --token ([a-z0-9]{6})\.[a-z0-9]{16}$/.exec(command ?? "");
    expect(match, command ?? "").not.toBeNull();
    expect(await kubectlOk(cluster, ["-n", "kube-system", "get", "secret", `bootstrap-token-${match![1]}`, "-o", "jsonpath={.type}"])).toBe("bootstrap.kubernetes.io/token");
    await shot("add-node");
    expect(await accessibilityProblems()).toEqual([]);
  });

  it("lists across all namespaces, passes axe-core at desktop and phone sizes, and logs no error in the browser", async () => {
    await page.goto(`${cluster.url}/#/namespaces.x/`);
    await page.getByText("The server does not serve").waitFor();
    await page.goto(`${cluster.url}/#/namespaces/`);
    await expect.poll(rowNames, { timeout: 30_000 }).toEqual(expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]));
    await shot("namespaces");
    expect(await accessibilityProblems()).toEqual([]);
    // A phone's width: the same view, the kinds above the table.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("namespaces-phone");
    expect(await accessibilityProblems()).toEqual([]);
    expect(errors, errors.join("\n")).toEqual([]);
  });

  it.skipIf(!HAVE_DOCKER)("follows a pod's log live on its page: a line the container prints after the page opened shows up", async () => {
    const image = await ensureBusyboxImage();
    const node = `console-${process.pid}`;
    const prefix = await mkdtemp(join(tmpdir(), "edgeplane-console-node-"));
    const agent = await installAgent(cluster, node, join(prefix, "root"));
    try {
      await eventually(async () => new RegExp(`^${node}\\s+Ready\\s`, "m").test(await kubectlOk(cluster, ["get", "nodes"])), `node ${node} Ready\n${agentLog(agent)}`, 60_000);
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "talker" },
        spec: { containers: [{ name: "app", image, imagePullPolicy: "Never", command: ["sh", "-c", "i=0; while true; do echo line-$i; i=$((i+1)); sleep 1; done"] }] },
      };
      expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
      await eventually(async () => (await kubectlOk(cluster, ["get", "pod", "talker", "-o", "jsonpath={.status.phase}"])) === "Running", `talker Running\n${agentLog(agent)}`, 60_000);
      // Its node's page cordons and uncordons it, as kubectl cordon does.
      await page.goto(`${cluster.url}/#/nodes/default/${node}`);
      await page.getByRole("button", { name: "Cordon" }).click();
      await expect.poll(() => kubectlOk(cluster, ["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"]), { timeout: 30_000 }).toBe("true");
      await page.getByRole("button", { name: "Uncordon" }).click();
      await expect.poll(() => kubectlOk(cluster, ["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"]), { timeout: 30_000 }).toBe("");
      await page.goto(`${cluster.url}/#/pods/default/talker`);
      const logText = () => page.getByLabel("Log output").textContent();
      await expect.poll(logText, { timeout: 30_000 }).toMatch(/line-\d+/);
      const lineNumbers = (text: string | null) => [...(text ?? "").matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
      const atOpen = Math.max(...lineNumbers(await logText()));
      // Printed after the page opened, and shown without a reload.
      await expect.poll(async () => Math.max(...lineNumbers(await logText())), { timeout: 30_000 }).toBeGreaterThanOrEqual(atOpen + 3);
      await page.getByRole("status").filter({ hasText: "following" }).waitFor();
      await shot("pod-logs");
      expect(await accessibilityProblems()).toEqual([]);
      expect(errors, errors.join("\n")).toEqual([]);
      // Its log stream ends with the container (the browser may report the cut): not checked after this.
      await kubectlOk(cluster, ["delete", "pod", "talker", "--wait=false"]);
    } finally {
      await agent.uninstall().catch(() => agent.kill());
      await removeNodeContainers(node);
      await rm(prefix, { recursive: true, force: true });
    }
  }, 180_000);
});
