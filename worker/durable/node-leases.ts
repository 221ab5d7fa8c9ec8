// Absorbs node heartbeats (Lease renewals) so a quiet cluster makes no SQL writes (DESIGN decision 9).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class NodeLeases extends DurableObject<Env> {}
