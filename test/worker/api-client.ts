// A small client for the property suites: requests go straight to the Worker's fetch handler
// inside workerd with the test bindings, and each answer comes back parsed.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { builtInRegistry } from "../../worker/resources/registry";
import type { ResourceDef } from "../../worker/resources/types";
import { KIND_CASES, type Json, type JsonObject, type KindCase } from "./manifest-arbitraries";

const registry = builtInRegistry();

declare module "cloudflare:test" {
  interface ProvidedEnv extends Env {
    /** fast-check seed and run count overrides (FC_SEED, FC_RUNS in the shell; see vitest.config.ts). */
    FC_SEED: string;
    FC_RUNS: string;
  }
}

export const ADMIN = { authorization: "Bearer test-admin-token" };

export interface Answer {
  status: number;
  /** The parsed body; undefined when it was not JSON. */
  json: Json | undefined;
  text: string;
}

/** How many requests this isolate sent, so a suite can show it reached the size it claims. */
export let requestsSent = 0;

/**
 * Calls the app's fetch handler directly rather than SELF.fetch: under vitest-pool-workers
 * every SELF.fetch is slower than the one before (cloudflare/workers-sdk#15446, 10 ms to
 * 250 ms within a few hundred requests), which would make thousands of requests take minutes.
 */
export async function call(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const ctx = createExecutionContext();
  const init: RequestInit = { method, headers: { ...ADMIN, ...headers } };
  // A copy, so the bytes sit in a plain ArrayBuffer as BodyInit's type wants.
  if (body !== undefined) init.body = typeof body === "string" ? body : body.slice().buffer;
  requestsSent++;
  const res = await worker.fetch(new Request(`https://edgeplane.test${path}`, init), env, ctx);
  // Decoded by hand: workerd warns on .text() of a YAML or protobuf body, once per response.
  const text = new TextDecoder().decode(await res.arrayBuffer());
  // The watch-hub publish runs in waitUntil; let it finish so writes never overlap the next check.
  await waitOnExecutionContext(ctx);
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export function asObject(v: Json | undefined): JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : {};
}

/** The fast-check parameters every property uses: FC_SEED reproduces a reported failure. */
export function runParameters(numRuns: number): { numRuns: number; seed?: number } {
  const runs = Number(env.FC_RUNS) > 0 ? Number(env.FC_RUNS) : numRuns;
  return env.FC_SEED ? { numRuns: runs, seed: Number(env.FC_SEED) } : { numRuns: runs };
}

/** Kinds are drawn by key, so a counterexample prints as a name, not as the kind's arbitraries. */
export function kindOf(key: string): KindCase {
  const kind = KIND_CASES.find((k) => k.key === key);
  if (!kind) throw new Error(`no kind case ${key}`);
  return kind;
}

export function defOf(kind: KindCase): ResourceDef {
  const def = registry.byPlural(...(kind.key.split("/") as [string, string]));
  if (!def) throw new Error(`no kind ${kind.key}`);
  return def;
}

export function collectionOf(kind: KindCase, namespace: string): string {
  const def = defOf(kind);
  return `${def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`}/namespaces/${namespace}/${def.plural}`;
}

export async function createNamespace(name: string): Promise<void> {
  const res = await call("POST", "/api/v1/namespaces", JSON.stringify({ metadata: { name } }), { "content-type": "application/json" });
  if (res.status !== 201) throw new Error(`namespace ${name}: ${res.status} ${res.text}`);
}
