// The workload controllers in the order the loop runs them: Deployments write ReplicaSets,
// which the ReplicaSet controller turns into pods in the same pass; StatefulSets stand alone.
import { deploymentController } from "./deployment";
import { replicaSetController } from "./replicaset";
import { statefulSetController } from "./statefulset";
import type { Controller } from "./types";

export { deploymentController, replicaSetController, statefulSetController };

export const WORKLOAD_CONTROLLERS: readonly Controller[] = [deploymentController, replicaSetController, statefulSetController];
