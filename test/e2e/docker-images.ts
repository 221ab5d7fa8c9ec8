// Test images for the real Docker engine. No registry is reachable here, so the image is built
// locally: Debian's statically linked busybox plus its applet links, loaded with `docker import`.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, copyFile, symlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireTool } from "./harness";

const run = promisify(execFile);

/** The image every real-runtime test uses: sh, sleep, httpd, nc, wget, ls, cat… */
export const BUSYBOX_IMAGE = "edgeplane.test/busybox:1";
const BUSYBOX_BINARY = "/bin/busybox";

/** Whether a Docker engine answers on the default socket. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await run("docker", ["version", "--format", "{{.Server.Version}}"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * For `describe.skipIf(!(await requireDockerEngine()))`: true when the docker CLI is there and an
 * engine answers. Otherwise under CI=true it throws (CI must never pass by skipping); elsewhere
 * it returns false so a developer without Docker skips those tests.
 */
export async function requireDockerEngine(): Promise<boolean> {
  if (!requireTool("docker")) return false;
  if (await dockerAvailable()) return true;
  if (process.env.CI === "true" || process.env.CI === "1") {
    throw new Error("a Docker engine is required by the node-agent tests but none answers (CI=true: failing, not skipping)");
  }
  return false;
}

async function imagePresent(image: string): Promise<boolean> {
  try {
    await run("docker", ["image", "inspect", image], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Builds BUSYBOX_IMAGE unless the engine has it already; returns its name. */
export async function ensureBusyboxImage(): Promise<string> {
  if (await imagePresent(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  if (!existsSync(BUSYBOX_BINARY)) {
    throw new Error(`${BUSYBOX_BINARY} not found: install Debian's busybox-static (apt-get install -y busybox-static)`);
  }
  const root = await mkdtemp(join(tmpdir(), "edgeplane-busybox-"));
  try {
    for (const dir of ["bin", "tmp", "etc", "root", "var/www"]) await mkdir(join(root, dir), { recursive: true });
    await copyFile(BUSYBOX_BINARY, join(root, "bin/busybox"));
    const { stdout } = await run(BUSYBOX_BINARY, ["--list"]);
    for (const applet of stdout.split("\n").map((l) => l.trim())) {
      if (applet && applet !== "busybox") await symlink("busybox", join(root, "bin", applet));
    }
    await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    await writeFile(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    await writeFile(join(root, "var/www/index.html"), "hello from edgeplane\n");
    const tar = join(root, "..", `${root.split("/").pop()}.tar`);
    await run("tar", ["-C", root, "-cf", tar, "."]);
    await run("docker", ["import", "--change", 'CMD ["/bin/sh"]', "--change", "ENV PATH=/bin", tar, BUSYBOX_IMAGE]);
    await rm(tar, { force: true });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}
