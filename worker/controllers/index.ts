// Every controller the loop runs, in pass order: the scheduler and the workload controllers
// first (their writes are what the others react to), housekeeping after.
import { CLUSTER_CONTROLLERS } from "./cluster";
import type { Controller } from "./types";
import { WORKLOAD_CONTROLLERS } from "./workloads";

export const CONTROLLERS: readonly Controller[] = [...WORKLOAD_CONTROLLERS, ...CLUSTER_CONTROLLERS];
