// Every controller the loop runs, in pass order. The workload controllers come first:
// Deployments write ReplicaSets, which the ReplicaSet controller turns into pods in the same pass
// (StatefulSets stand alone). Then placement (the scheduler, then the volume binder that provisions
// for what it placed), networking, node health, and housekeeping.
import { deploymentController } from "./deployment";
import { endpointsController } from "./endpoints";
import { garbageCollectorController } from "./garbage-collector";
import { ingressController } from "./ingress";
import { namespaceController } from "./namespace";
import { nodeIpamController } from "./node-ipam";
import { nodeLifecycleController } from "./node-lifecycle";
import { replicaSetController } from "./replicaset";
import { schedulerController } from "./scheduler";
import { serviceController } from "./service";
import { statefulSetController } from "./statefulset";
import { storageProtectionController } from "./storage-protection";
import type { Controller } from "./types";
import { volumesController } from "./volumes";

export const CONTROLLERS: readonly Controller[] = [
  deploymentController,
  replicaSetController,
  statefulSetController,
  schedulerController,
  volumesController,
  storageProtectionController,
  nodeIpamController,
  serviceController(),
  endpointsController,
  ingressController(),
  nodeLifecycleController,
  namespaceController,
  garbageCollectorController,
];
