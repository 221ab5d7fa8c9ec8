// Builds the kubeconfig `npm start` writes for kubectl: one cluster trusted through the
// local CA (never insecure-skip-tls-verify), the admin user's bearer token, one context; and
// reads one back for the tests' and benchmarks' own clients.
import { readFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { parse, stringify } from "yaml";

export const KUBECONFIG_NAME = "edgeplane";
export const KUBECONFIG_USER = "admin";

export interface KubeconfigInput {
  /** https://127.0.0.1:PORT */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  token: string;
  namespace?: string;
  /** Name of the cluster and the context; "edgeplane" unless a test wants another. */
  name?: string;
}

export function buildKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? KUBECONFIG_NAME;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: input.server,
          "certificate-authority-data": Buffer.from(input.caPem, "utf8").toString("base64"),
        },
      },
    ],
    users: [{ name: KUBECONFIG_USER, user: { token: input.token } }],
    contexts: [
      { name, context: { cluster: name, user: KUBECONFIG_USER, namespace: input.namespace ?? "default" } },
    ],
    "current-context": name,
    preferences: {},
  });
}

/** Writes the kubeconfig with mode 0600: it holds the admin token. */
export async function writeKubeconfig(path: string, input: KubeconfigInput): Promise<void> {
  await writeFile(path, buildKubeconfig(input), { mode: 0o600 });
  await chmod(path, 0o600);
}

/** The server, CA and token of a kubeconfig this module wrote (its first cluster and user). */
export function readKubeconfig(path: string): { server: string; caPem: string; token: string } {
  const kc = parse(readFileSync(path, "utf8")) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = kc.clusters[0]!.cluster;
  return { server: cluster.server, caPem: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8"), token: kc.users[0]!.user.token };
}
