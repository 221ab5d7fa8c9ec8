// The local cluster's Worker server: the Worker that `wrangler deploy` would upload (built by the
// pinned wrangler itself), run by Miniflare in one workerd, which terminates TLS itself.
//
// Not `wrangler dev`: it puts a second workerd in front, whose single proxy Durable Object
// forwards every request to the Worker's own workerd over loopback HTTP. That proxy took a fifth
// to a quarter of a core under load, and with 1,000 node agents (thousands of open watches)
// its forwards began to fail, each failure reported as "Your worker restarted mid-request"
// (BENCHMARKS.md). The DevTools inspector, when asked for, is workerd's own, without the
// Network-domain relay that made every subrequest an event in wrangler's Node process.
// miniflare is pinned to the release the pinned wrangler runs (the same workerd as `wrangler
// dev`): with the older one @cloudflare/vitest-pool-workers brings (4.20260310.0), the controller
// loop did not run again after a restart of the local cluster (test/e2e/restart-rollout.test.ts).
// Run by scripts/lib/wrangler.ts as a child process: `node --import tsx dev-server.ts <json>`.
import { watch as watchFiles, type FSWatcher } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseEnv } from "node:util";
import { Log, LogLevel, Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import type { DevServerOptions } from "./dev-server-options";
import { REPO_ROOT, runWranglerCli } from "./wrangler";

/** Folders whose edits reload the Worker: its sources and the static assets it serves. */
const WATCHED = ["worker", "shared", "migrations", "dist/assets"];
/** Edits within this long of each other (an editor's save, a build's many files) make one reload. */
const RELOAD_DEBOUNCE_MS = 300;

/** `wrangler deploy --dry-run`: the same bundle a deploy uploads, into `outdir`. */
async function buildWorker(config: string, main: string, outdir: string): Promise<NonNullable<WorkerOptions["modules"]>> {
  await rm(outdir, { recursive: true, force: true });
  await runWranglerCli(["deploy", "--dry-run", "--outdir", outdir], { config, onLine: () => undefined });
  // The entry (named after the config's main) and the text modules it imports (the SQL
  // migrations, by the Text rule).
  const files = await readdir(outdir);
  const entry = basename(main).replace(/\.[cm]?[jt]sx?$/, ".js");
  if (!files.includes(entry)) throw new Error(`wrangler's build wrote no ${entry} (it wrote ${files.join(", ")})`);
  const modules: { type: "ESModule" | "Text"; path: string }[] = [{ type: "ESModule", path: join(outdir, entry) }];
  for (const file of files) if (file.endsWith(".sql")) modules.push({ type: "Text", path: join(outdir, file) });
  return modules;
}

async function miniflareOptions(options: DevServerOptions, outdir: string): Promise<MiniflareOptions> {
  const config = unstable_readConfig({ config: options.config });
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config);
  const vars = parseEnv(await readFile(options.envFile, "utf8"));
  const modules = await buildWorker(options.config, main ?? "index.js", outdir);
  const worker = { ...workerOptions, name: config.name, modules, modulesRoot: outdir, bindings: { ...workerOptions.bindings, ...vars } } as WorkerOptions;
  return {
    host: options.host,
    port: options.port,
    https: true,
    httpsKeyPath: options.tlsKey,
    httpsCertPath: options.tlsCert,
    inspectorPort: options.inspectorPort,
    // Where `wrangler dev --persist-to` and `wrangler d1 … --local --persist-to` keep state.
    defaultPersistRoot: join(options.persistTo, "v3"),
    logRequests: options.requestLog,
    // The "[wrangler:info] GET /path 200 OK (3ms)" lines benchmarks count, as before.
    log: new Log(options.requestLog ? LogLevel.INFO : LogLevel.WARN, { prefix: "wrangler" }),
    workers: [worker],
  } as MiniflareOptions;
}

async function main(options: DevServerOptions): Promise<void> {
  const outdir = await mkdtemp(join(tmpdir(), "edgeplane-worker-build-"));
  const mf = new Miniflare(await miniflareOptions(options, outdir));
  const url = await mf.ready;
  console.log(`[dev-server] Ready on ${url.href}`);

  const watchers: FSWatcher[] = [];
  if (options.watch !== false) {
    let timer: NodeJS.Timeout | undefined;
    let reloading = Promise.resolve();
    const reload = () => {
      reloading = reloading.then(async () => {
        try {
          await mf.setOptions(await miniflareOptions(options, outdir));
          console.log("[dev-server] reloaded after an edit");
        } catch (error) {
          // A broken edit leaves the last good Worker serving, as wrangler dev does.
          console.error(`dev-server: reload failed: ${describe(error)}`);
        }
      });
    };
    for (const dir of WATCHED) {
      try {
        watchers.push(
          watchFiles(join(REPO_ROOT, dir), { recursive: true }, () => {
            clearTimeout(timer);
            timer = setTimeout(reload, RELOAD_DEBOUNCE_MS);
          }),
        );
      } catch {
        // A folder that does not exist (no assets built yet) has nothing to watch.
      }
    }
  }

  const stop = () => {
    for (const w of watchers) w.close();
    void mf
      .dispose()
      .then(() => rm(outdir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** The error and its causes: a build failure wraps the compiler's message in a generic one. */
function describe(error: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = error; e !== undefined && lines.length < 5; e = e instanceof Error ? e.cause : undefined) {
    lines.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  return lines.join("\ncaused by: ");
}

main(JSON.parse(process.argv[2] ?? "{}") as DevServerOptions).catch((error: unknown) => {
  console.error(`dev-server: ${describe(error)}`);
  process.exit(1);
});
