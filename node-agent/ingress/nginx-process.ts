// Runs nginx (Debian's package) as the ingress data path and reloads it without dropping a
// request. Each configuration goes into a new generation directory, is checked with `nginx -t`,
// and the `current` link moves to it; SIGHUP has the master re-read it, start new workers on the
// same listening sockets and let the old ones finish what they hold (at most
// WORKER_SHUTDOWN_S). A reload counts as done once every worker taking connections is a new one,
// read from /proc. A master left by an earlier agent is adopted, not doubled. A configuration
// nginx refuses is reported, and the last good one keeps serving.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { CONFIG_FILE, PID_FILE, type NginxPaths } from "./nginx-config";

const run = promisify(execFile);

export const NGINX_BINARY = "nginx";
/** Generations kept besides the current one (old workers may still be finishing requests). */
const GENERATIONS_KEPT = 2;
/** How long a start or reload may take before it counts as failed. */
export const RELOAD_TIMEOUT_MS = 10_000;
/** Between looks at the master's workers while a start or reload is under way. */
const POLL_MS = 5;
const CURRENT = "current";
/** The title nginx gives a worker; one that is draining after a reload adds "is shutting down". */
const WORKER_TITLE = "nginx: worker process";

export class NginxError extends Error {
  override readonly name = "NginxError";
}

/**
 * The regular expression nginx could not compile, from its error ("pcre2_compile() failed: … in
 * "^/v[\w-.]" at …"), without the `(?i)` and `^` the rendering adds; undefined for other errors.
 */
export function refusedRegex(error: unknown): string | undefined {
  const match = /pcre2?_compile\(\) failed: .*? in "(.*?)" at "/.exec(error instanceof Error ? error.message : "");
  return match?.[1]?.replace(/^\(\?i\)/, "").replace(/^\^/, "");
}

/** The files of one configuration, rendered for its generation directory. */
export type Render = (paths: NginxPaths) => Map<string, string>;

/** The workers of `master` that take new connections (not the draining ones), by pid. */
export function activeWorkers(master: number): Set<number> {
  const workers = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ")[1] !== String(master)) continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ").trim();
      if (title === WORKER_TITLE) workers.add(Number(entry));
    } catch {
      // gone between the listing and the read
    }
  }
  return workers;
}

export class NginxProcess {
  private child: ChildProcess | undefined;
  /** A master we did not start (left running by an earlier agent): signalled by pid. */
  private adopted: number | undefined;
  private generation = 0;
  /** The generation directory being served. */
  private current: string | undefined;
  private output = "";
  /** The output since the last reload was asked for (bounded). */
  private sinceReload = "";
  private versionFound: number[] | undefined;

  constructor(
    /** Directory for generations, the pid file, temporary files and the `current` link. */
    private readonly dir: string,
    private readonly log: (message: string) => void,
    private readonly binary = NGINX_BINARY,
  ) {}

  /** Whether the binary can be run (checked once at start-up); reads its version. */
  async available(): Promise<boolean> {
    try {
      const { stdout, stderr } = await run(this.binary, ["-v"], { timeout: 5_000 });
      const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(stderr + stdout);
      this.versionFound = version ? version.slice(1).map(Number) : [0, 0, 0];
      return true;
    } catch {
      return false;
    }
  }

  private atLeast(major: number, minor: number, patch: number): boolean {
    const [a = 0, b = 0, c = 0] = this.versionFound ?? [];
    return a * 1_000_000 + b * 1_000 + c >= major * 1_000_000 + minor * 1_000 + patch;
  }

  /** How this nginx switches HTTP/2 on: the `http2` directive arrived in 1.25.1. */
  get http2(): "directive" | "listen" {
    return this.atLeast(1, 25, 1) ? "directive" : "listen";
  }

  /** `-e stderr` (1.19.5 and later) keeps nginx from opening its compiled-in log before the configuration's. */
  private get logArgs(): string[] {
    return this.atLeast(1, 19, 5) ? ["-e", "stderr"] : [];
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  /** Writes, checks and activates a configuration: starts nginx the first time, reloads after. */
  async apply(render: Render): Promise<void> {
    await mkdir(join(this.dir, "tmp"), { recursive: true });
    const name = `gen-${Date.now()}-${++this.generation}`;
    const genDir = join(this.dir, name);
    await mkdir(genDir, { mode: 0o700 });
    for (const [file, contents] of render({ generation: genDir, state: this.dir })) {
      await writeFile(join(genDir, file), contents, { mode: file.endsWith(".pem") ? 0o600 : 0o644 });
    }
    try {
      await run(this.binary, ["-t", "-q", ...this.logArgs, "-c", join(genDir, CONFIG_FILE)], { timeout: RELOAD_TIMEOUT_MS });
    } catch (error) {
      await rm(genDir, { recursive: true, force: true });
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new NginxError(`the ingress configuration was refused by nginx -t: ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
    }
    if (this.child === undefined && this.adopted === undefined) this.adopted = this.adoptable();
    // Move `current` in one rename, so the master never reads a half-switched directory.
    const link = join(this.dir, `${CURRENT}.${name}`);
    await symlink(name, link);
    const previous = this.current;
    await rename(link, join(this.dir, CURRENT));
    try {
      if (this.pid === undefined) await this.start();
      else await this.reload();
    } catch (error) {
      // Point `current` back at what is being served, so a restart of nginx loads that.
      if (previous) await symlink(previous, link).then(() => rename(link, join(this.dir, CURRENT))).catch(() => undefined);
      await rm(genDir, { recursive: true, force: true });
      throw error;
    }
    this.current = name;
    await this.prune(name);
  }

  /** Stops nginx (fast: the agent is going away) and waits for it. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, RELOAD_TIMEOUT_MS))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    } else if (this.adopted !== undefined) {
      try {
        if (this.adoptable() === this.adopted) process.kill(this.adopted, "SIGTERM");
      } catch {
        // already gone
      }
      this.adopted = undefined;
    }
  }

  /** A master started by an earlier agent for this directory and still running, if any. */
  private adoptable(): number | undefined {
    const pidFile = join(this.dir, PID_FILE);
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      return title.startsWith("nginx: master process") && title.includes(join(this.dir, CURRENT, CONFIG_FILE)) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async start(): Promise<void> {
    const child = spawn(this.binary, [...this.logArgs, "-c", join(this.dir, CURRENT, CONFIG_FILE)], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const onData = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-8_192);
      this.sinceReload = (this.sinceReload + chunk.toString("utf8")).slice(-8_192);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.log(`ingress: nginx exited (${signal ?? `code ${code}`}); the next change starts it again. Last output: ${this.tail(3)}`);
    });
    await this.workersReplacing(new Set(), "start");
  }

  private async reload(): Promise<void> {
    // An adopted master is known only by its pid: make sure that pid is still our nginx (not
    // gone, not reused by another process) before signalling it.
    if (this.adopted !== undefined && this.adoptable() !== this.adopted) {
      this.adopted = undefined;
      await this.start();
      return;
    }
    const master = this.pid!;
    const before = activeWorkers(master);
    this.sinceReload = "";
    try {
      process.kill(master, "SIGHUP");
    } catch (error) {
      if (this.child) throw error;
      // An adopted master that is gone: start our own.
      this.adopted = undefined;
      await this.start();
      return;
    }
    await this.workersReplacing(before, "reload");
  }

  /**
   * Waits until the master's accepting workers are all new (none of `before`): from then on
   * every new connection meets the new configuration.
   */
  private async workersReplacing(before: Set<number>, what: string): Promise<void> {
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    for (;;) {
      const master = this.pid;
      if (master === undefined) throw new NginxError(`nginx ${what} failed: it exited. ${this.tail(5)}`);
      // Our own master says on its output when it cannot load a configuration (and keeps the old one).
      if (what === "reload" && /\[emerg\]/.test(this.sinceReload)) throw new NginxError(`nginx reload failed: ${this.sinceReload.trim().split("\n").slice(-3).join(" | ")}`);
      const now = activeWorkers(master);
      if (now.size > 0 && [...now].every((pid) => !before.has(pid))) return;
      if (Date.now() > deadline) throw new NginxError(`nginx ${what} did not finish in ${RELOAD_TIMEOUT_MS} ms: ${this.tail(5)}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private tail(lines: number): string {
    return this.output.trim().split("\n").slice(-lines).join(" | ");
  }

  private async prune(current: string): Promise<void> {
    const generations = (await readdir(this.dir)).filter((n) => n.startsWith("gen-") && n !== current).sort();
    for (const old of generations.slice(0, Math.max(0, generations.length - GENERATIONS_KEPT))) {
      await rm(join(this.dir, old), { recursive: true, force: true });
    }
  }
}
