// The cluster controllers in pass order: placement first (scheduler, then the volume binder
// that provisions for what it placed), then networking, node health, and housekeeping.
import { endpointsController } from "./endpoints";
import { garbageCollectorController } from "./garbage-collector";
import { ingressController } from "./ingress";
import { namespaceController } from "./namespace";
import { nodeIpamController } from "./node-ipam";
import { nodeLifecycleController } from "./node-lifecycle";
import { schedulerController } from "./scheduler";
import { serviceController } from "./service";
import { storageProtectionController } from "./storage-protection";
import type { Controller } from "./types";
import { volumesController } from "./volumes";

export const CLUSTER_CONTROLLERS: Controller[] = [
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
