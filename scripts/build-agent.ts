// Bundles the node agent (node-agent/main.ts and its npm dependencies) into one ES module,
// dist/assets/agent.mjs, which the Worker serves to install.sh. Skips the build when the bundle
// is newer than every input; `node --import tsx scripts/build-agent.ts [--force] [--entry F] [--outfile F]`.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(REPO_ROOT, "dist", "assets");
export const AGENT_ENTRY = join(REPO_ROOT, "node-agent", "main.ts");
export const AGENT_BUNDLE = join(ASSETS_DIR, "agent.mjs");

/**
 * CommonJS dependencies (dockerode's docker-modem, ws) call require(): an ES module bundle has
 * none, so give it one (esbuild's documented recipe for format esm on platform node).
 */
const REQUIRE_BANNER =
  "import { createRequire as __edgeplaneCreateRequire } from 'node:module';\n" +
  "const require = __edgeplaneCreateRequire(import.meta.url);";

/**
 * docker-modem requires ssh2 (with native cpu-features and a .node crypto addon) for ssh://
 * Docker hosts; the agent only speaks to the unix socket, so ssh2 becomes a stub that refuses.
 */
const stubSsh2: Plugin = {
  name: "edgeplane-stub-ssh2",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(ssh2|cpu-features)$/ }, (args) => ({ path: args.path, namespace: "edgeplane-stub" }));
    pluginBuild.onLoad({ filter: /.*/, namespace: "edgeplane-stub" }, () => ({
      contents:
        "class Client { constructor() { throw new Error('ssh:// Docker hosts are not supported by the edgeplane agent'); } }\n" +
        "module.exports = { Client };",
      loader: "js",
    }));
  },
};

/**
 * dockerode requires its BuildKit session code (@grpc/grpc-js, @grpc/proto-loader, protobufjs:
 * ~1.1 MB of JS that also loads http2, dns and more) at import, for `docker build` sessions the
 * agent never opens: both modules become stubs that refuse, so the agent does not load them.
 */
const stubDockerodeBuildkit: Plugin = {
  name: "edgeplane-stub-dockerode-buildkit",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
      /[\\/]dockerode[\\/]lib[\\/]/.test(args.importer) ? { path: args.path, namespace: "edgeplane-stub-buildkit" } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: "edgeplane-stub-buildkit" }, (args) => ({
      contents:
        args.path === "./session"
          ? "module.exports = function withSession(docker, auth, handler) { handler(new Error('BuildKit sessions are not supported by the edgeplane agent'), null, function () {}); };"
          : "module.exports = { followProgress: function () { throw new Error('BuildKit is not supported by the edgeplane agent'); } };",
      loader: "js",
    }));
  },
};

/**
 * V8 keeps a module's whole source in memory, two bytes per character as soon as one character
 * is not Latin-1. esbuild's charset "ascii" escapes strings and identifiers; comments (e.g. an
 * arrow in a doc comment) keep theirs, so any left is escaped too: harmless inside a comment.
 */
function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** What the bundle says when node-agent/main.ts does not exist yet: install.sh still has a file. */
const PLACEHOLDER =
  "// edgeplane agent placeholder: this control plane was built without node-agent/main.ts.\n" +
  "process.stderr.write('edgeplane agent: this build holds no agent (node-agent/main.ts was missing at build time)\\n');\n" +
  "process.exit(1);\n";

export interface BuildAgentOptions {
  entry?: string;
  outfile?: string;
  /** Rebuild even when the bundle looks current. */
  force?: boolean;
}

export interface BuildAgentResult {
  outfile: string;
  /** "built", "current" (skipped) or "placeholder" (no entry file). */
  outcome: "built" | "current" | "placeholder";
  warnings: string[];
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The inputs whose change makes the bundle stale: the agent's sources, the lockfile, this script. */
function inputsMtimeMs(entry: string): number {
  const files = [join(REPO_ROOT, "package-lock.json"), fileURLToPath(import.meta.url)].filter(existsSync);
  return Math.max(newestMtimeMs(dirname(entry)), ...files.map((f) => statSync(f).mtimeMs));
}

/**
 * Builds the bundle (idempotent and quick when nothing changed: safe to call before every
 * start of the dev server, whose [assets] directory must exist). Always leaves the output directory in place.
 */
export async function buildAgent(options: BuildAgentOptions = {}): Promise<BuildAgentResult> {
  const entry = resolve(options.entry ?? AGENT_ENTRY);
  const outfile = resolve(options.outfile ?? AGENT_BUNDLE);
  mkdirSync(dirname(outfile), { recursive: true });
  // Test files start clusters side by side: each writes a temp file and renames it into place,
  // so a Worker serving the bundle never sees a half-written one.
  const writeAtomically = (contents: string | Uint8Array) => {
    const temp = `${outfile}.${process.pid}.tmp`;
    writeFileSync(temp, contents);
    renameSync(temp, outfile);
  };
  if (!existsSync(entry)) {
    writeAtomically(PLACEHOLDER);
    return { outfile, outcome: "placeholder", warnings: [`${entry} does not exist: wrote a placeholder agent`] };
  }
  if (!options.force && existsSync(outfile) && statSync(outfile).mtimeMs > inputsMtimeMs(entry)) {
    return { outfile, outcome: "current", warnings: [] };
  }
  const result = await build({
    entryPoints: [entry],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: REQUIRE_BANNER },
    plugins: [stubSsh2, stubDockerodeBuildkit],
    charset: "ascii",
    // An entry outside the repository (a test's placeholder) still resolves the repository's packages.
    nodePaths: [join(REPO_ROOT, "node_modules")],
    // ws loads these optional native speed-ups inside try/catch; without them it uses plain JS.
    external: ["bufferutil", "utf-8-validate"],
    legalComments: "none",
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  writeAtomically(asciiOnly(output.text));
  return { outfile, outcome: "built", warnings: result.warnings.map((w) => w.text) };
}

/**
 * For starting a local cluster: builds the bundle if stale, never throws (a broken agent source
 * must not keep the control plane from starting; install.sh then gets the last good bundle or a
 * 404), and always leaves the [assets] directory wrangler's build requires.
 */
export async function ensureAgentAssets(log: (line: string) => void = () => undefined): Promise<void> {
  try {
    const result = await buildAgent();
    for (const warning of result.warnings) log(`agent bundle: warning: ${warning}`);
    if (result.outcome !== "current") log(`agent bundle: ${result.outcome} ${result.outfile}`);
  } catch (error) {
    mkdirSync(ASSETS_DIR, { recursive: true });
    log(`agent bundle: build failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  buildAgent({ entry: argValue(argv, "--entry"), outfile: argValue(argv, "--outfile"), force: argv.includes("--force") })
    .then((result) => {
      for (const warning of result.warnings) process.stderr.write(`build-agent: warning: ${warning}\n`);
      process.stdout.write(`build-agent: ${result.outcome} ${result.outfile}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`build-agent: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
