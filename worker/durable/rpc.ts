// What the Worker may call on each Durable Object, as interfaces: `Env` types its bindings by these
// rather than by the classes, so a module that only holds a stub does not import the object's code
// (and, through it, the whole app). Each class declares `implements` its interface.
import type { LeaseAuthority } from "../leases/lease-store";
import type { ChangeEvent } from "../store/types";

/** Fans a resource type's changes out to its watchers (one instance per group/resource). */
export interface WatchHubRpc extends Rpc.DurableObjectBranded {
  publish(events: ChangeEvent[]): Promise<void>;
  /** Ends the watch whose response carried this key (WATCH_KEY_HEADER); unknown keys are ignored. */
  cancel(key: string): Promise<void>;
}

/** Runs the scheduler and the controllers from its alarm (one instance). */
export interface ControllerLoopRpc extends Rpc.DurableObjectBranded {
  nudge(): Promise<void>;
  leasesChanged(): Promise<void>;
}

/** Holds every node's latest Lease renewal (one instance): what the lease verbs need, plus heartbeats. */
export interface NodeLeasesRpc extends LeaseAuthority, Rpc.DurableObjectBranded {
  heartbeats(): Promise<Record<string, number>>;
}

/** A node's tunnel: `fetch` for the agent's connection and client streams (upgrades and bodies cross only so). */
export interface NodeTunnelRpc extends Rpc.DurableObjectBranded {
  /** The client of a log stream is gone: end it and the agent's side now, not at the container's next line. */
  cancelLog(id: number): Promise<void>;
}
