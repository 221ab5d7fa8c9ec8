// What the Worker may call on each Durable Object, as interfaces: `Env` types its bindings by these
// rather than by the classes, so a module that only holds a stub does not import the object's code
// (and, through it, the whole app). Each class declares `implements` its interface.
import type { LeaseOutcome, LeaseView } from "../leases/lease-table";
import type { ChangeEvent } from "../store/types";

/** Fans a resource type's changes out to its watchers (one instance per group/resource). */
export interface WatchHubRpc extends Rpc.DurableObjectBranded {
  publish(events: ChangeEvent[]): Promise<void>;
}

/** Runs the scheduler and the controllers from its alarm (one instance). */
export interface ControllerLoopRpc extends Rpc.DurableObjectBranded {
  nudge(): Promise<void>;
  leasesChanged(): Promise<void>;
}

/** Holds every node's latest Lease renewal (one instance). */
export interface NodeLeasesRpc extends Rpc.DurableObjectBranded {
  view(name: string): Promise<LeaseView | undefined>;
  views(): Promise<Record<string, LeaseView>>;
  renew(name: string, expected: number | undefined, sqlRevision: number, renewTime: string): Promise<LeaseOutcome>;
  beginWrite(name: string, expected: number, sqlRevision: number): Promise<LeaseOutcome>;
  written(name: string, sqlRevision: number, renewTime: string | undefined): Promise<number>;
  abortWrite(name: string): Promise<void>;
  forget(name: string): Promise<void>;
  heartbeats(): Promise<Record<string, number>>;
}

/** A node's tunnel: reached with `fetch` only (agent connection and client streams). */
export type NodeTunnelRpc = Rpc.DurableObjectBranded;
