// install.sh as a user runs it (`curl … | sh -s -- --token …`), against the local Worker, under a
// temporary --prefix with --no-systemd: it writes the config, downloads the agent bundle, starts
// the agent with nohup, and --uninstall stops it and removes every file.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgent } from "../../scripts/build-agent";
import { ensureBusyboxImage } from "./docker-images";
import { requireTool, startCluster, type Cluster } from "./harness";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "../../scripts/create-join-token.ts");
const NODE_NAME = "install-vm1";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// install.sh itself refuses to install without docker (and node, which runs this test).
describe.skipIf(!requireTool("kubectl") || !requireTool("curl") || !requireTool("docker"))("install.sh", () => {
  let cluster: Cluster;
  let work: string;
  let prefix: string;
  let caFile: string;
  let agentPid: number | null = null;

  /** `curl -fsSL --cacert ca <server>/install.sh | sh -s -- <args>`; never throws, returns the outcome. */
  async function install(args: string[]): Promise<{ code: number; output: string }> {
    const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const command = `curl -fsSL --cacert '${caFile}' '${cluster.url}/install.sh' | sh -s -- ${quoted}`;
    try {
      const { stdout, stderr } = await run("sh", ["-c", command], { timeout: 120_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
  }

  beforeAll(async () => {
    // wrangler dev refuses to start without the [assets] directory: build the bundle first.
    await buildAgent();
    work = await mkdtemp(join(tmpdir(), "edgeplane-install-"));
    prefix = join(work, "root");
    caFile = join(work, "ca.crt");
    cluster = await startCluster();
    await writeFile(caFile, cluster.caPem);
  });
  afterAll(async () => {
    if (agentPid !== null && alive(agentPid)) process.kill(agentPid, "SIGKILL");
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("serves the script and the agent bundle", async () => {
    const dispatcher = new Agent({ connect: { ca: cluster.caPem } });
    try {
      const script = await fetch(`${cluster.url}/install.sh`, { dispatcher });
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toContain("text/x-shellscript");
      expect(await script.text()).toContain(`SERVER='${cluster.url}'`);
      const bundle = await fetch(`${cluster.url}/edgeplane/v1/agent.mjs`, { dispatcher });
      expect(bundle.status).toBe(200);
      expect(Buffer.from(await bundle.arrayBuffer()).equals(readFileSync(join(import.meta.dirname, "../../dist/assets/agent.mjs")))).toBe(true);
    } finally {
      await dispatcher.close();
    }
  });

  it("refuses to install without a token or with a bad node name", async () => {
    const noToken = await install(["--prefix", prefix, "--no-systemd", "--node-name", NODE_NAME]);
    expect(noToken.code).not.toBe(0);
    expect(noToken.output).toContain("--token is required");
    const badName = await install(["--prefix", prefix, "--no-systemd", "--node-name", "Bad_Name", "--token", "abcdef.0123456789abcdef"]);
    expect(badName.code).not.toBe(0);
    expect(badName.output).toContain("is not a DNS subdomain name");
  });

  it("installs the agent under --prefix and starts it; --uninstall removes it", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", SCRIPT, "--token-only", "--ttl", "1h"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, KUBECACHEDIR: join(cluster.root, "kube-cache") },
    });
    const token = stdout.trim();
    // --no-network: the npm start test owns this machine's pod network while the tests run in parallel.
    const installed = await install(["--token", token, "--prefix", prefix, "--no-systemd", "--ca-file", caFile, "--node-name", NODE_NAME, "--no-network"]);
    expect(installed.code, installed.output).toBe(0);
    expect(installed.output).toContain("downloaded the agent");
    expect(installed.output).toContain("started the agent in the background");

    const config = JSON.parse(readFileSync(join(prefix, "etc/edgeplane/agent.json"), "utf8")) as Record<string, unknown>;
    expect(config).toEqual({
      server: cluster.url,
      caFile: join(prefix, "etc/edgeplane/ca.crt"),
      nodeName: NODE_NAME,
      joinToken: token,
      network: { enabled: false },
      dataDir: join(prefix, "var/lib/edgeplane"),
    });
    expect(readFileSync(join(prefix, "etc/edgeplane/ca.crt"), "utf8")).toBe(cluster.caPem);
    const bundle = readFileSync(join(prefix, "opt/edgeplane/agent.mjs"));
    expect(bundle.equals(readFileSync(join(import.meta.dirname, "../../dist/assets/agent.mjs")))).toBe(true);

    const pidFile = join(prefix, "var/lib/edgeplane/agent.pid");
    agentPid = Number(readFileSync(pidFile, "utf8").trim());
    expect(agentPid).toBeGreaterThan(1);
    expect(existsSync(join(prefix, "var/lib/edgeplane/agent.log"))).toBe(true);

    // A container of this node (as the agent labels them) and one of another node: only the first goes.
    const labelled = async (node: string) =>
      (await run("docker", ["create", "--label", `io.edgeplane.node=${node}`, await ensureBusyboxImage(), "sleep", "1"])).stdout.trim();
    const mine = await labelled(NODE_NAME);
    const theirs = await labelled(`${NODE_NAME}-other`);

    const removed = await install(["--uninstall", "--prefix", prefix, "--no-systemd"]);
    const left = (await run("docker", ["ps", "-aq", "--no-trunc", "--filter", "label=io.edgeplane.node"])).stdout;
    await run("docker", ["rm", "-f", theirs]);
    expect(left).not.toContain(mine);
    expect(left).toContain(theirs);
    expect(removed.code, removed.output).toBe(0);
    expect(removed.output).toContain(`node ${NODE_NAME} uninstalled`);
    expect(alive(agentPid)).toBe(false);
    for (const dir of ["etc/edgeplane", "opt/edgeplane", "var/lib/edgeplane"]) expect(existsSync(join(prefix, dir))).toBe(false);
  });
});
