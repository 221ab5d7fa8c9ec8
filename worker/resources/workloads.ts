// The workload kinds: Pods and the apps/v1 controllers' objects.
import { controllerrevisions } from "./apps/controller-revision";
import { deployments } from "./apps/deployment";
import { replicasets } from "./apps/replicaset";
import { statefulsets } from "./apps/statefulset";
import { pods } from "./core/pod";
import type { ResourceDef } from "./types";

export const WORKLOAD_RESOURCES: ResourceDef[] = [pods, deployments, replicasets, statefulsets, controllerrevisions];
