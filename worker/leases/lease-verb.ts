// Node Lease requests (kube-node-lease) are served from the NodeLeases Durable Object, so a
// renewal is not a SQL write (DESIGN decision 9). Returns null to fall through to the generic verbs.
import type { ApiContext } from "../api/context";

export async function nodeLeaseVerb(_ctx: ApiContext): Promise<Response | null> {
  return null;
}
