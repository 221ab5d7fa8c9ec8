// The agent's configuration file (`--config <file>`, JSON) and its node credential: a join token
// is exchanged once for a credential kept in <dataDir>/credential.json; `token` skips the join.
import { readFile } from "node:fs/promises";

export interface AgentConfig {
  server: string;
  caFile?: string;
  nodeName: string;
  dataDir: string;
  joinToken?: string;
  /** A ready bearer token (a node credential or, in tests, the admin token): no join. */
  token?: string;
  dockerSocket?: string;
  labels?: Record<string, string>;
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function stringField(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = raw[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value === "") throw new Error(`config: "${key}" must be a non-empty string`);
  return value;
}

/** Validates a parsed config object; every problem is an Error naming the field. */
export function parseConfig(raw: unknown): AgentConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("config: must be a JSON object");
  const obj = raw as Record<string, unknown>;
  const server = stringField(obj, "server", true) as string;
  if (!/^https?:\/\//.test(server)) throw new Error(`config: "server" must be an http(s) URL`);
  const nodeName = stringField(obj, "nodeName", true) as string;
  if (!NODE_NAME.test(nodeName) || nodeName.length > 253) throw new Error(`config: "nodeName" must be a DNS subdomain name`);
  const labels = obj.labels;
  if (labels !== undefined) {
    if (typeof labels !== "object" || labels === null || Array.isArray(labels)) throw new Error(`config: "labels" must be an object`);
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== "string") throw new Error(`config: labels["${key}"] must be a string`);
    }
  }
  const config: AgentConfig = {
    server,
    nodeName,
    dataDir: stringField(obj, "dataDir", false) ?? "/var/lib/edgeplane",
    caFile: stringField(obj, "caFile", false),
    joinToken: stringField(obj, "joinToken", false),
    token: stringField(obj, "token", false),
    dockerSocket: stringField(obj, "dockerSocket", false),
    labels: labels as Record<string, string> | undefined,
  };
  return config;
}

export async function loadConfig(path: string): Promise<AgentConfig> {
  const text = await readFile(path, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`config ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseConfig(raw);
}

/** `--config <file>` or `--config=<file>` from argv. */
export function configPathFromArgs(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--config" && argv[i + 1]) return argv[i + 1] as string;
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  throw new Error("usage: agent --config <file>");
}
