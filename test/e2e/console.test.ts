// The web console in real headless Chromium (Debian's, driven by playwright-core) against a local
// cluster started as `npm start` starts it, with a node agent on this machine's Docker engine:
// sign in, apply a Deployment from the editor and watch its pods turn Running, scale it, follow a
// pod's log, run a command in its terminal, see a Helm release, and delete it all, with no reload.
// Screenshots of every main view, at desktop and phone sizes, land in SCREENSHOTS (default
// test-results/console).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { ensureBusyboxImage, requireDockerEngine } from "./docker-images";
import { startCluster, type Cluster } from "./harness";
import { eventually, kubectlOk } from "./helpers";
import { agentLog, installAgent, removeNodeContainers, type InstalledAgent } from "./node-agent-lib";
import { HELM_RELEASES, helmBinary, helmFor } from "./helm-binaries";
import { REPO_ROOT } from "../../scripts/lib/wrangler";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && (process.env.CI === "true" || process.env.CI === "1")) {
  throw new Error(`${CHROMIUM} is required by the console tests (apt-get install chromium); CI=true: failing, not skipping`);
}

// The pods run for real: a node agent on this machine's Docker engine (required under CI=true).
const HAVE_DOCKER = haveChromium && (await requireDockerEngine());
const SCREENSHOTS = process.env.SCREENSHOTS ?? join(REPO_ROOT, "test-results/console");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!haveChromium || !HAVE_DOCKER)("web console", () => {
  let cluster: Cluster;
  let browser: Browser;
  let page: Page;
  let agent: InstalledAgent | undefined;
  let image: string;
  const node = `console-${process.pid}`;
  let prefix: string;
  const errors: string[] = [];

  /** The view as it stands, at a laptop's size and a phone's. */
  const shot = async (name: string) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
  };

  beforeAll(async () => {
    cluster = await startCluster({ requestLog: false });
    image = await ensureBusyboxImage();
    prefix = await mkdtemp(join(tmpdir(), "edgeplane-console-node-"));
    agent = await installAgent(cluster, node, join(prefix, "root"));
    await eventually(async () => new RegExp(`^${node}\\s+Ready\\s`, "m").test(await kubectlOk(cluster, ["get", "nodes"])), `node ${node} Ready\n${agentLog(agent)}`, 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-background-networking"] });
    // The local cluster's certificate is signed by its own CA, which this browser does not know.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: DESKTOP });
    page = await context.newPage();
    page.on("console", (m) => {
      // A watch that drops (the server ends it, the connection breaks) is resumed by the console:
      // the browser's own line about it is not the console's error.
      // Docker adding a container's interface makes Chromium cut requests under way
      // (net::ERR_NETWORK_CHANGED): the machine's doing, and the console retries them.
      if (m.type() === "error" && !m.location().url.includes("watch=1") && !m.text().includes("ERR_NETWORK_CHANGED")) errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => errors.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (agent) await agent.uninstall().catch(() => agent!.kill());
    await removeNodeContainers(node);
    if (prefix) await rm(prefix, { recursive: true, force: true });
    await cluster?.stop();
  });

  /** axe-core's serious and critical violations on the page as it stands. */
  const accessibilityProblems = async (): Promise<string[]> => {
    // Evaluated, not added as a <script>: the console's CSP allows only its own scripts.
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact?: string; nodes: unknown[] }[] }> } }).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
  };

  /** The view as it stands, at both sizes: screenshots, and axe-core at each. */
  const checkView = async (name: string) => {
    await shot(name);
    expect(await accessibilityProblems(), `${name} at ${DESKTOP.width} px`).toEqual([]);
    await page.setViewportSize(PHONE);
    expect(await accessibilityProblems(), `${name} at ${PHONE.width} px`).toEqual([]);
    await page.setViewportSize(DESKTOP);
  };

  const rowNames = () => page.locator("tbody tr[data-name]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
  /** The Status cells of the listed rows whose name starts with `prefix`. */
  const statuses = (prefix: string) =>
    page.locator("tbody tr[data-name]").evaluateAll(
      (rows, p) => rows.filter((r) => r.getAttribute("data-name")?.startsWith(p)).map((r) => r.querySelector("td:nth-child(3)")?.textContent ?? ""),
      prefix,
    );

  /** A Deployment of the busybox image this machine built (no registry is reachable): each pod prints a numbered line a second. */
  const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: ${image}
        imagePullPolicy: Never
        command: ["sh", "-c", "i=0; while true; do echo \\"$HOSTNAME line-$i\\"; i=$((i+1)); sleep 1; done"]
`;

  it("is served by the Worker at / and signs in with a token, which a wrong one cannot; it opens on the Overview", async () => {
    await page.goto(`${cluster.url}/`);
    await page.getByLabel("Bearer token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not valid");
    await checkView("sign-in");
    // The browser logs the refused token's 401 itself; from here on no error is expected.
    errors.length = 0;
    await page.getByLabel("Bearer token").fill(cluster.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Kinds" }).getByRole("link", { name: "Deployment apps" }).waitFor();
    // The token stays in the tab's session storage, never in the address.
    expect(page.url()).not.toContain(cluster.token);
    expect(await page.evaluate(() => sessionStorage.getItem("edgeplane.token"))).toBe(cluster.token);
    // The Overview: the Docker node, Ready, with its capacity.
    const nodes = page.getByRole("region", { name: "Nodes" });
    await expect.poll(() => nodes.textContent(), { timeout: 30_000 }).toContain(node);
    expect(await nodes.textContent()).toContain("Ready");
    await checkView("overview");
  });

  it("applies a Deployment from the editor and shows its pods appear and turn Running, with no reload", async () => {
    await page.goto(`${cluster.url}/#/pods/default`);
    await page.getByText("No pods in default.").waitFor();
    await page.goto(`${cluster.url}/#/apply/default`);
    await page.getByLabel(/^Manifest/).fill(deployment("web", 2));
    await checkView("apply");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.getByRole("list", { name: "Apply results" }).textContent(), { timeout: 30_000 }).toBe("Deployment/web: applied");
    await page.getByRole("link", { name: "Pod", exact: true }).click();
    await expect.poll(rowNames, { timeout: 30_000 }).toHaveLength(2);
    expect(await page.locator("thead th").allTextContents()).toEqual(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"]);
    await expect.poll(() => statuses("web-"), { timeout: 60_000 }).toEqual(["Running", "Running"]);
    // The Overview counts them by phase.
    await page.goto(`${cluster.url}/#/overview/default`);
    await expect.poll(() => page.getByRole("region", { name: "Pods by phase" }).textContent(), { timeout: 30_000 }).toMatch(/Running\D*2/);
  }, 120_000);

  it("scales the Deployment to 3 from its page, and the list shows 3 Running", async () => {
    await page.goto(`${cluster.url}/#/deployments.apps/default`);
    await page.getByRole("link", { name: "web", exact: true }).click();
    await expect.poll(() => page.getByLabel("YAML").textContent(), { timeout: 30_000 }).toContain("kind: Deployment");
    await expect.poll(() => page.getByRole("region", { name: "events" }).textContent(), { timeout: 30_000 }).toContain("Scaled up replica set");
    await page.getByLabel("Replicas").fill("3");
    await page.getByRole("button", { name: "Scale" }).click();
    await page.getByText("Scaled to 3.").waitFor();
    await expect.poll(() => page.getByLabel("YAML").textContent(), { timeout: 30_000 }).toContain("replicas: 3");
    expect(await kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("3");
    await checkView("deployment");
    await page.goto(`${cluster.url}/#/pods/default`);
    await expect.poll(() => statuses("web-"), { timeout: 60_000 }).toEqual(["Running", "Running", "Running"]);
    await checkView("pods");
  }, 120_000);

  it("follows a pod's log: a line the container prints after the page opened shows up", async () => {
    await page.locator("tbody tr[data-name^='web-'] a").first().click();
    const logText = () => page.getByLabel("Log output").textContent();
    await expect.poll(logText, { timeout: 30_000 }).toMatch(/line-\d+/);
    const lineNumbers = (text: string | null) => [...(text ?? "").matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
    const atOpen = Math.max(...lineNumbers(await logText()));
    // Printed after the page opened, and shown without a reload.
    await expect.poll(async () => Math.max(...lineNumbers(await logText())), { timeout: 30_000 }).toBeGreaterThanOrEqual(atOpen + 3);
    await page.getByRole("status").filter({ hasText: "following" }).waitFor();
    await checkView("pod");
  }, 120_000);

  it("runs a command in the pod's terminal and shows its output", async () => {
    const terminal = page.getByRole("region", { name: "Terminal" });
    await terminal.getByRole("button", { name: "Connect" }).click();
    await terminal.getByRole("status").filter({ hasText: "connected" }).waitFor({ timeout: 30_000 });
    await terminal.locator(".xterm").click();
    await page.keyboard.type("echo hi-$((40+2))\n");
    await expect.poll(() => terminal.locator(".xterm-rows").textContent(), { timeout: 30_000 }).toContain("hi-42");
    await checkView("terminal");
    await page.keyboard.type("exit 3\n");
    await terminal.getByRole("status").filter({ hasText: "exited with code 3" }).waitFor({ timeout: 30_000 });
  }, 120_000);

  it("follows the logs of all the Deployment's pods at once, interleaved", async () => {
    await page.goto(`${cluster.url}/#/deployments.apps/default/web`);
    await page.getByRole("button", { name: "Follow logs of all pods" }).click();
    // Every pod: logs stream over WebSockets, which the browser's 6 connections per host do not bound.
    await page.getByRole("status").filter({ hasText: "Following 3 of 3 pods" }).waitFor({ timeout: 30_000 });
    const merged = page.getByLabel("Merged log output");
    // Lines of all three, each prefixed by its pod's name.
    await expect
      .poll(async () => new Set([...((await merged.textContent()) ?? "").matchAll(/(web-[a-z0-9]+-[a-z0-9]+) line-/g)].map((m) => m[1])).size, { timeout: 30_000 })
      .toBe(3);
    await checkView("deployment-logs");
    await page.getByRole("button", { name: "Stop following" }).click();
  }, 120_000);

  it("restarts the rollout, rolls back to revision 1, and edits the Deployment's YAML", async () => {
    await page.goto(`${cluster.url}/#/deployments.apps/default/web`);
    await page.getByRole("button", { name: "Restart" }).click();
    await page.getByText(/^Restarted at /).waitFor();
    await expect.poll(() => kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.template.metadata.annotations}"])).toContain("kubectl.kubernetes.io/restartedAt");
    await kubectlOk(cluster, ["rollout", "status", "deployment/web", "--timeout=90s"], 100_000);
    await expect.poll(() => page.getByRole("table", { name: "Revisions" }).locator("tbody tr").count(), { timeout: 30_000 }).toBe(2);
    await checkView("rollout");
    await page.getByLabel("Roll back to revision").selectOption("1");
    await page.getByRole("button", { name: "Undo" }).click();
    // Revision 1's template, without the restart: kubectl rollout undo --to-revision=1's outcome.
    await expect.poll(() => kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.template.metadata.annotations}"]), { timeout: 30_000 }).not.toContain("restartedAt");
    expect(await kubectlOk(cluster, ["rollout", "history", "deployment/web"])).toMatch(/^2\s.*\n3\s/m);

    await page.getByRole("button", { name: "Edit" }).click();
    const editor = page.getByLabel("YAML of Deployment web");
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).toContain("replicas: 3");
    await editor.fill((await editor.inputValue()).replace("replicas: 3", "replicas: 2"));
    await checkView("edit");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor({ timeout: 30_000 });
    expect(await kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("2");

    // Another manager takes spec.replicas: applying the manifest again is a 409, explained, until
    // the user takes the field over (kubectl apply --server-side --force-conflicts).
    await kubectlOk(cluster, ["patch", "deployment", "web", "--type=merge", "-p", '{"spec":{"replicas":3}}']);
    await page.goto(`${cluster.url}/#/apply/default`);
    await page.getByLabel(/^Manifest/).fill(deployment("web", 1));
    await page.getByRole("button", { name: "Apply" }).click();
    const results = page.getByRole("list", { name: "Apply results" });
    await expect.poll(() => results.textContent(), { timeout: 30_000 }).toContain("Take over fields others own");
    expect(await results.locator("code").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("replicas")]));
    await checkView("apply-conflict");
    expect(await kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("3");
    await page.getByLabel("Take over fields others own").check();
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => results.textContent(), { timeout: 30_000 }).toBe("Deployment/web: applied");
    expect(await kubectlOk(cluster, ["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("1");
    // The browser logs the conflict's 409 itself; it was the expected answer.
    const unexpected = errors.filter((e) => !/status of 409 .*\/deployments\/web\?/.test(e));
    errors.length = 0;
    errors.push(...unexpected);
  }, 180_000);

  it("deletes the Deployment from its page, and its pods go", async () => {
    await page.goto(`${cluster.url}/#/deployments.apps/default/web`);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByText("Deployment web is gone.").waitFor({ timeout: 30_000 });
    expect((await cluster.kubectl(["get", "deployment", "web"])).code).not.toBe(0);
    await page.goto(`${cluster.url}/#/pods/default`);
    await page.getByText("No pods in default.").waitFor({ timeout: 60_000 });
  }, 120_000);

  it("shows a bad manifest's 422 at its field, after a server-side dry run that wrote nothing", async () => {
    await page.goto(`${cluster.url}/#/apply/default`);
    await page.getByLabel(/^Manifest/).fill(deployment("refused", -1));
    await page.getByRole("button", { name: "Apply" }).click();
    const results = page.getByRole("list", { name: "Apply results" });
    await expect.poll(() => results.textContent(), { timeout: 30_000 }).toContain("Deployment/refused:");
    expect(await results.locator("code").allTextContents()).toContain("spec.replicas");
    await checkView("apply-refused");
    // Refused at the dry run: nothing was written.
    expect((await cluster.kubectl(["get", "deployment", "refused"])).code).not.toBe(0);
    // The browser logs the refused request's 422 itself; it was the expected answer.
    const unexpected = errors.filter((e) => !/status of 422 .*\/deployments\/refused\?/.test(e));
    errors.length = 0;
    errors.push(...unexpected);
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
      await checkView("helm-releases");
      await page.getByRole("link", { name: "hello", exact: true }).click();
      await expect.poll(() => page.getByLabel("Manifest").textContent(), { timeout: 30_000 }).toContain("kind: Deployment");
      await expect.poll(() => page.getByLabel("Values").textContent(), { timeout: 30_000 }).toContain("replicaCount: 1");
      await helm.ok(["upgrade", "hello", join(REPO_ROOT, "test/fixtures/charts/hello-web"), "-n", "default", "--set", "replicaCount=2"]);
      // The new revision shows up in the history without a reload.
      await expect.poll(() => page.getByRole("table", { name: "History" }).locator("tbody tr").count(), { timeout: 30_000 }).toBe(2);
      await expect.poll(() => page.getByLabel("Values").textContent(), { timeout: 30_000 }).toContain("replicaCount: 2");
      await checkView("helm-release");
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
    await checkView("add-node");
  });

  it("cordons, uncordons and drains a node from its page, which lists the node's pods", async () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "bare" }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image, imagePullPolicy: "Never", command: ["sleep", "3600"] }] } };
    expect((await cluster.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
    await page.goto(`${cluster.url}/#/nodes/default/${node}`);
    const onNode = page.getByRole("region", { name: `pods on ${node}` });
    await expect.poll(() => onNode.locator("tbody tr[data-name]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name"))), { timeout: 30_000 }).toContain("bare");
    await page.getByRole("button", { name: "Cordon" }).click();
    await expect.poll(() => kubectlOk(cluster, ["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"]), { timeout: 30_000 }).toBe("true");
    await page.getByRole("button", { name: "Uncordon" }).click();
    await expect.poll(() => kubectlOk(cluster, ["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"]), { timeout: 30_000 }).toBe("");
    await checkView("node");
    // As kubectl drain: a pod no controller would replace is refused unless forced.
    await page.getByRole("button", { name: "Drain" }).click();
    const confirm = page.getByRole("group", { name: `Drain node ${node}` });
    await confirm.getByRole("button", { name: "Yes, drain" }).click();
    await expect.poll(() => page.getByRole("alert").allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringContaining("bare")]));
    expect(await kubectlOk(cluster, ["get", "pod", "bare", "-o", "name"])).toBe("pod/bare\n");
    await confirm.getByRole("checkbox", { name: "also delete pods not managed by a controller" }).check();
    await confirm.getByRole("button", { name: "Yes, drain" }).click();
    await expect.poll(async () => (await cluster.kubectl(["get", "pod", "bare"])).code, { timeout: 60_000 }).not.toBe(0);
    expect(await kubectlOk(cluster, ["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"])).toBe("true");
    await kubectlOk(cluster, ["uncordon", node]);
  }, 120_000);

  it("creates a namespace, searches by name and by label, moves by keyboard, and downloads a kubeconfig kubectl can use", async () => {
    await page.goto(`${cluster.url}/#/namespaces/`);
    await expect.poll(rowNames, { timeout: 30_000 }).toEqual(expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]));
    await page.getByLabel("New namespace").fill("made-in-console");
    await page.getByRole("button", { name: "Create namespace" }).click();
    await expect.poll(rowNames, { timeout: 30_000 }).toContain("made-in-console");
    await checkView("namespaces");
    await kubectlOk(cluster, ["-n", "made-in-console", "create", "configmap", "findme-config", "--from-literal=a=b"]);
    await kubectlOk(cluster, ["-n", "made-in-console", "label", "configmap", "findme-config", "tier=search-test"]);

    // `/` focuses the search box; a name finds it, so does a label selector.
    await page.locator("body").press("/");
    await page.keyboard.type("findme\n");
    const results = page.getByRole("region", { name: "Search results" });
    await expect.poll(() => results.getByRole("link", { name: "findme-config" }).count(), { timeout: 30_000 }).toBe(1);
    await checkView("search");
    await page.getByLabel("Search by name or label").fill("tier=search-test");
    await page.getByLabel("Search by name or label").press("Enter");
    await expect.poll(() => results.textContent(), { timeout: 30_000 }).toContain("findme-config");
    await results.getByRole("link", { name: "findme-config" }).click();
    await expect.poll(() => page.getByLabel("YAML").textContent(), { timeout: 30_000 }).toContain("tier: search-test");

    // g then n: the nodes; j focuses the first row, Enter opens it.
    await page.locator("body").press("g");
    await page.locator("body").press("n");
    await expect.poll(rowNames, { timeout: 30_000 }).toContain(node);
    await page.locator("body").press("j");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toContain(`#/nodes/`);
    await page.getByRole("button", { name: "Cordon" }).waitFor();
    await page.locator("body").press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await checkView("shortcuts");
    await page.keyboard.press("Escape");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Kubeconfig" }).click()]);
    const file = join(prefix, "downloaded-kubeconfig");
    await download.saveAs(file);
    const got = await cluster.kubectl(["--kubeconfig", file, "get", "namespace", "made-in-console", "-o", "name"]);
    expect(got.stdout.trim(), got.stderr).toBe("namespace/made-in-console");
  }, 120_000);

  it("lists across all namespaces, says so of a kind it does not serve, and logged no error in the browser", async () => {
    await page.goto(`${cluster.url}/#/namespaces.x/`);
    await page.getByText("The server does not serve").waitFor();
    await page.goto(`${cluster.url}/#/configmaps/`);
    await expect.poll(rowNames, { timeout: 30_000 }).toContain("findme-config");
    expect(await page.locator("thead th").first().textContent()).toBe("Namespace");
    await checkView("configmaps-all-namespaces");
    expect(errors, errors.join("\n")).toEqual([]);
  });
});
