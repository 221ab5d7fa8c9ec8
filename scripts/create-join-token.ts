// Creates a join token the kubeadm way (a bootstrap-token Secret in kube-system) with kubectl and
// the current KUBECONFIG, and prints the command that joins a VM with it:
//   node --import tsx scripts/create-join-token.ts [--ttl 24h] [--description TEXT] [--uses N] [--token-only]
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const DEFAULT_TTL = "24h";
const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };

/** A Go-style duration of hours, minutes and seconds ("24h", "1h30m", "90s"); "0" = never expires. */
export function parseTtlMs(text: string): number {
  if (text === "0") return 0;
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new Error(`--ttl: "${text}" is not a duration such as 24h, 30m or 1h30m (0 = no expiry)`);
  }
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit as string]!, 0);
}

function randomToken(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return out;
}

export interface JoinTokenSecret {
  id: string;
  secret: string;
  /** RFC 3339, second precision; undefined = no expiry. */
  expiration?: string;
  manifest: Record<string, unknown>;
}

/** A fresh token and the bootstrap-token Secret that holds it (k8s.io/cluster-bootstrap's layout). */
export function newJoinToken(ttlMs: number, description: string, now = new Date(), uses?: number): JoinTokenSecret {
  const id = randomToken(6);
  const secret = randomToken(16);
  const expiration = ttlMs > 0 ? new Date(now.getTime() + ttlMs).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
  const stringData: Record<string, string> = {
    description,
    "token-id": id,
    "token-secret": secret,
    "usage-bootstrap-authentication": "true",
  };
  if (expiration) stringData.expiration = expiration;
  // How many machines may join with it; the last join deletes it (worker/nodes/join-token.ts).
  if (uses !== undefined) stringData["uses-remaining"] = String(uses);
  const manifest = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    stringData,
  };
  return { id, secret, expiration, manifest };
}

/** The install one-liner for `server`; with a private CA the script and agent need its file. */
export function installCommand(server: string, token: string, caFile?: string): string {
  if (!caFile) return `curl -fsSL ${server}/install.sh | sudo sh -s -- --token ${token}`;
  return `curl -fsSL --cacert ${caFile} ${server}/install.sh | sudo sh -s -- --token ${token} --ca-file ${caFile}`;
}

interface Args {
  ttl: string;
  description: string;
  tokenOnly: boolean;
  uses?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { ttl: DEFAULT_TTL, description: "edgeplane join token", tokenOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--ttl" || arg.startsWith("--ttl=")) args.ttl = value();
    else if (arg === "--description" || arg.startsWith("--description=")) args.description = value();
    else if (arg === "--token-only") args.tokenOnly = true;
    else if (arg === "--uses" || arg.startsWith("--uses=")) {
      const uses = value();
      if (!/^[1-9]\d{0,8}$/.test(uses)) throw new Error(`--uses takes a whole number of joins, 1 or more (got ${uses})`);
      args.uses = Number(uses);
    } else throw new Error(`unknown option ${arg} (options: --ttl 24h, --description TEXT, --uses N, --token-only)`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const kubectl = process.env.KUBECTL ?? "kubectl";
  const token = newJoinToken(parseTtlMs(args.ttl), args.description, new Date(), args.uses);
  const child = run(kubectl, ["create", "-f", "-", "-o", "name"]);
  child.child.stdin?.end(JSON.stringify(token.manifest));
  await child;
  const joined = `${token.id}.${token.secret}`;
  if (args.tokenOnly) {
    process.stdout.write(`${joined}\n`);
    return;
  }
  const view = async (path: string) =>
    (await run(kubectl, ["config", "view", "--minify", "--raw", "-o", `jsonpath={${path}}`])).stdout.trim();
  const server = (await view(".clusters[0].cluster.server")).replace(/\/+$/, "");
  const privateCa = (await view(".clusters[0].cluster.certificate-authority-data")) !== "" || (await view(".clusters[0].cluster.certificate-authority")) !== "";
  const expires = token.expiration ? `expires ${token.expiration}` : "never expires";
  process.stdout.write(`join token ${joined} (kube-system/bootstrap-token-${token.id}, ${expires})\n\n`);
  process.stdout.write(`On each VM, as root:\n  ${installCommand(server, joined)}\n`);
  if (privateCa) {
    process.stdout.write(
      `\nThe server's certificate is signed by the kubeconfig's own CA: copy it to the VM as ca.crt\n` +
        `(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > ca.crt), then:\n` +
        `  ${installCommand(server, joined, "ca.crt")}\n`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    const stderr = typeof error === "object" && error !== null && "stderr" in error ? String((error as { stderr: unknown }).stderr) : "";
    process.stderr.write(`create-join-token: ${stderr.trim() || (error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  });
}
