// Every built-in kind, listed once for the registry: the workload kinds (Pods and the apps/v1
// controllers' objects), then the rest (config, networking, storage, coordination, discovery, RBAC).
import { controllerrevisions } from "./apps/controller-revision";
import { deployments } from "./apps/deployment";
import { replicasets } from "./apps/replicaset";
import { statefulsets } from "./apps/statefulset";
import { leases } from "./coordination/lease";
import { configmaps } from "./core/configmap";
import { endpoints } from "./core/endpoints";
import { events } from "./core/event";
import { limitranges } from "./core/limitrange";
import { namespaces } from "./core/namespace";
import { nodes } from "./core/node";
import { persistentvolumes } from "./core/persistentvolume";
import { persistentvolumeclaims } from "./core/persistentvolumeclaim";
import { pods } from "./core/pod";
import { resourcequotas } from "./core/resourcequota";
import { secrets } from "./core/secret";
import { services } from "./core/service";
import { serviceaccounts } from "./core/serviceaccount";
import { endpointslices } from "./discovery/endpointslice";
import { ingresses } from "./networking/ingress";
import { ingressclasses } from "./networking/ingressclass";
import { clusterrolebindings, rolebindings } from "./rbac/bindings";
import { clusterroles, roles } from "./rbac/roles";
import { storageclasses } from "./storage/storageclass";
import type { ResourceDef } from "./types";

export const WORKLOAD_KINDS: readonly ResourceDef[] = [pods, deployments, replicasets, statefulsets, controllerrevisions];

export const OTHER_KINDS: readonly ResourceDef[] = [
  namespaces,
  services,
  endpoints,
  configmaps,
  secrets,
  serviceaccounts,
  events,
  nodes,
  persistentvolumes,
  persistentvolumeclaims,
  resourcequotas,
  limitranges,
  ingresses,
  ingressclasses,
  storageclasses,
  leases,
  endpointslices,
  roles,
  clusterroles,
  rolebindings,
  clusterrolebindings,
];

export const BUILT_IN_KINDS: readonly ResourceDef[] = [...WORKLOAD_KINDS, ...OTHER_KINDS];
