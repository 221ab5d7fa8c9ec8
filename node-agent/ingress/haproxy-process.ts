// Runs HAProxy (Debian's package) as the ingress data path and reloads it without dropping a
// request: each configuration goes into a new generation directory and the `current` link moves
// to it; the master process (master-worker mode) re-reads it when asked on its CLI socket, new
// workers take the listening sockets and old ones finish what they hold (at most
// HARD_STOP_AFTER_S). A master left by an earlier agent is adopted, not doubled. A configuration
// HAProxy refuses is reported, and the last good one keeps serving.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { CONFIG_FILE } from "./haproxy-config";

const run = promisify(execFile);

export const HAPROXY_BINARY = "haproxy";
/** Generations kept besides the current one (old workers may still read their certificates). */
const GENERATIONS_KEPT = 2;
/** How long a start or reload may take before it counts as failed. */
export const RELOAD_TIMEOUT_MS = 10_000;
const PID_FILE = "haproxy.pid";
/** The master CLI (`-S`): reloads are asked for there. */
const MASTER_SOCKET = "master.sock";
/** Between tries to reach a master that is still starting its loop. */
const MASTER_RETRY_MS = 10;
const CURRENT = "current";

export class HaproxyError extends Error {
  override readonly name = "HaproxyError";
}

/** The files of one configuration, rendered for a given generation directory. */
export type Render = (dir: string) => Map<string, string>;

export class HaproxyProcess {
  private child: ChildProcess | undefined;
  /** A master we did not start (left running by an earlier agent): signalled by pid. */
  private adopted: number | undefined;
  private generation = 0;
  /** The generation directory being served. */
  private current: string | undefined;
  private output = "";
  private partial = "";
  private waiters: ((line: string) => void)[] = [];

  constructor(
    /** Directory for generations, the pid file and the `current` link. */
    private readonly dir: string,
    private readonly log: (message: string) => void,
    private readonly binary = HAPROXY_BINARY,
  ) {}

  /** Whether the binary can be run (checked once at start-up). */
  async available(): Promise<boolean> {
    try {
      await run(this.binary, ["-v"], { timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  /** Writes, checks and activates a configuration: starts HAProxy the first time, reloads after. */
  async apply(render: Render): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = `gen-${Date.now()}-${++this.generation}`;
    const genDir = join(this.dir, name);
    await mkdir(genDir, { mode: 0o700 });
    for (const [file, contents] of render(genDir)) {
      await writeFile(join(genDir, file), contents, { mode: file.endsWith(".pem") ? 0o600 : 0o644 });
    }
    if (this.child === undefined && this.adopted === undefined) this.adopted = this.adoptable();
    // Our own master reports a failed load on its output and keeps its workers on the last good
    // configuration; a master we adopted says nothing we can read, so its input is checked first.
    if (this.child === undefined || this.adopted !== undefined) {
      try {
        await run(this.binary, ["-c", "-q", "-f", join(genDir, CONFIG_FILE)], { timeout: RELOAD_TIMEOUT_MS });
      } catch (error) {
        await rm(genDir, { recursive: true, force: true });
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        throw new HaproxyError(`the ingress configuration was refused by haproxy -c: ${stderr.trim().split("\n").slice(-5).join(" | ")}`);
      }
    }
    // Move `current` in one rename, so the master never reads a half-switched directory.
    const link = join(this.dir, `${CURRENT}.${name}`);
    await symlink(name, link);
    const previous = this.current;
    await rename(link, join(this.dir, CURRENT));
    try {
      if (this.child === undefined && this.adopted === undefined) await this.start();
      else await this.reload();
    } catch (error) {
      // Point `current` back at what is being served, so a restart of HAProxy loads that.
      if (previous) await symlink(previous, link).then(() => rename(link, join(this.dir, CURRENT))).catch(() => undefined);
      await rm(genDir, { recursive: true, force: true });
      throw error;
    }
    this.current = name;
    await this.prune(name);
  }

  /** Stops HAProxy (hard: the agent is going away) and waits for it. */
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
        process.kill(this.adopted, "SIGTERM");
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
    const pid = Number(readFileSync(pidFile, "utf8").trim().split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return cmdline.includes(join(this.dir, CURRENT, CONFIG_FILE)) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async start(): Promise<void> {
    const args = ["-W", "-db", "-f", join(this.dir, CURRENT, CONFIG_FILE), "-p", join(this.dir, PID_FILE), "-S", join(this.dir, MASTER_SOCKET)];
    const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const onData = (chunk: Buffer) => this.onOutput(chunk.toString("utf8"));
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.log(`ingress: haproxy exited (${signal ?? `code ${code}`}); the next change starts it again. Last output: ${this.output.trim().split("\n").slice(-3).join(" | ")}`);
      for (const w of this.waiters.splice(0)) w("exited");
    });
    await this.awaitLoad("start");
  }

  /**
   * Reload through the master CLI socket, not SIGUSR2: HAProxy prints "Loading success" before its
   * master loop runs, and a signal arriving in between is lost. A socket that accepts the
   * connection proves the loop is running, so the command is retried until it is taken.
   */
  private async reload(): Promise<void> {
    const loaded = this.child ? this.awaitLoad("reload") : undefined;
    try {
      await this.masterCommand("reload");
    } catch (error) {
      loaded?.catch(() => undefined);
      if (this.child) throw error;
      // An adopted master that no longer answers: start our own.
      this.adopted = undefined;
      await this.start();
      return;
    }
    await loaded;
  }

  private async masterCommand(command: string): Promise<void> {
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    for (;;) {
      try {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(join(this.dir, MASTER_SOCKET));
          socket.once("connect", () => socket.end(`${command}\n`));
          socket.once("error", reject);
          socket.once("close", () => resolve());
          socket.resume();
        });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new HaproxyError(`the HAProxy master socket did not take "${command}": ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((r) => setTimeout(r, MASTER_RETRY_MS));
      }
    }
  }

  private onOutput(text: string): void {
    this.output = (this.output + text).slice(-8_192);
    // Chunks end anywhere: only whole lines are read.
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (/Loading (success|failure)/.test(line)) for (const w of this.waiters.splice(0)) w(line);
    }
  }

  /** The master prints "Loading success." (or "Loading failure!") after each start or reload. */
  private awaitLoad(what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new HaproxyError(`haproxy ${what} did not finish in ${RELOAD_TIMEOUT_MS} ms: ${this.output.trim().split("\n").slice(-6).join(" | ")}`));
      }, RELOAD_TIMEOUT_MS);
      const done = (line: string) => {
        clearTimeout(timer);
        if (line.includes("Loading success")) resolve();
        else reject(new HaproxyError(`haproxy ${what} failed: ${this.output.trim().split("\n").slice(-5).join(" | ")}`));
      };
      this.waiters.push(done);
    });
  }

  private async prune(current: string): Promise<void> {
    const generations = (await readdir(this.dir)).filter((n) => n.startsWith("gen-") && n !== current).sort();
    for (const old of generations.slice(0, Math.max(0, generations.length - GENERATIONS_KEPT))) {
      await rm(join(this.dir, old), { recursive: true, force: true });
    }
  }
}
