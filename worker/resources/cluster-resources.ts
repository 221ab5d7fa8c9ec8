// The non-workload kinds (core config, networking, storage, coordination, discovery),
// listed once for the registry.
import { leases } from "./coordination/lease";
import { configmaps } from "./core/configmap";
import { endpoints } from "./core/endpoints";
import { events } from "./core/event";
import { limitranges } from "./core/limitrange";
import { namespaces } from "./core/namespace";
import { nodes } from "./core/node";
import { persistentvolumeclaims } from "./core/persistentvolumeclaim";
import { persistentvolumes } from "./core/persistentvolume";
import { resourcequotas } from "./core/resourcequota";
import { secrets } from "./core/secret";
import { serviceaccounts } from "./core/serviceaccount";
import { services } from "./core/service";
import { endpointslices } from "./discovery/endpointslice";
import { ingressclasses } from "./networking/ingressclass";
import { ingresses } from "./networking/ingress";
import { storageclasses } from "./storage/storageclass";
import type { ResourceDef } from "./types";

export const CLUSTER_RESOURCES: ResourceDef[] = [
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
];
