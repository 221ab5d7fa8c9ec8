// What every pod worker shares: the API client, the container runtime, the event recorder and the
// node's facts. Passed as one object so workers are built without long parameter lists.
import type { ApiClient } from "../api-client";
import type { PodNetwork } from "../network/pod-network";
import type { PodRuntime } from "../runtime/types";
import type { EventRecorder } from "./events";
import type { ObjectWatches } from "./object-watches";

export interface KubeletContext {
  api: ApiClient;
  runtime: PodRuntime;
  events: EventRecorder;
  nodeName: string;
  dataDir: string;
  /** Where hostPath and local volumes live: "/" (undefined) on a real node, a directory for a hollow one. */
  hostRoot?: string;
  hostIP: () => string;
  podCIDR: () => string | undefined;
  /** The agent's pod network (Services, cluster DNS); absent when the config turns it off. */
  network?: PodNetwork;
  log: (message: string) => void;
  /** Watched ConfigMaps and Secrets the pods use; pods GET what it does not hold. */
  objects?: ObjectWatches;
}
