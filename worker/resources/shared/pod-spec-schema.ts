// core/v1 PodSpec, PodTemplateSpec and PodStatus as zod schemas carrying Kubernetes' patch
// metadata (merge keys, list types) that the PATCH engines and the OpenAPI document read.
import { z } from "zod";
import { atomicList, labelSelectorSchema, mapList, objectMetaSchema, stringMap } from "../meta";
import { nodeSelectorSchema } from "./common-schemas";
import {
  containerSchema,
  ephemeralContainerSchema,
  profileSchema,
  resourceListSchema,
  resourceRequirementsSchema,
  seLinuxOptionsSchema,
  windowsOptionsSchema,
} from "./pod-container-schema";
import { volumeSchema } from "./pod-volume-schema";

const time = z.string().nullable().optional();

const nodeSelectorTermSchema = nodeSelectorSchema.shape.nodeSelectorTerms.element;

const podAffinityTermSchema = z.object({
  labelSelector: labelSelectorSchema.optional(),
  namespaces: atomicList(z.string()).optional(),
  topologyKey: z.string(),
  namespaceSelector: labelSelectorSchema.optional(),
  matchLabelKeys: atomicList(z.string()).optional(),
  mismatchLabelKeys: atomicList(z.string()).optional(),
});

const weightedPodAffinityTermSchema = z.object({ weight: z.number().int(), podAffinityTerm: podAffinityTermSchema });

const podAffinitySchema = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: atomicList(podAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: atomicList(weightedPodAffinityTermSchema).optional(),
});

export const affinitySchema = z.object({
  nodeAffinity: z
    .object({
      requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorSchema.meta({ "x-kubernetes-map-type": "atomic" }).optional(),
      preferredDuringSchedulingIgnoredDuringExecution: atomicList(
        z.object({ weight: z.number().int(), preference: nodeSelectorTermSchema }),
      ).optional(),
    })
    .optional(),
  podAffinity: podAffinitySchema.optional(),
  podAntiAffinity: podAffinitySchema.optional(),
});

export const tolerationSchema = z.object({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.number().int().optional(),
});

const topologySpreadConstraintSchema = z.object({
  maxSkew: z.number().int(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.enum(["DoNotSchedule", "ScheduleAnyway"]),
  labelSelector: labelSelectorSchema.optional(),
  minDomains: z.number().int().optional(),
  nodeAffinityPolicy: z.enum(["Honor", "Ignore"]).optional(),
  nodeTaintsPolicy: z.enum(["Honor", "Ignore"]).optional(),
  matchLabelKeys: atomicList(z.string()).optional(),
});

const podSecurityContextSchema = z.object({
  seLinuxOptions: seLinuxOptionsSchema.optional(),
  windowsOptions: windowsOptionsSchema.optional(),
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  runAsNonRoot: z.boolean().optional(),
  supplementalGroups: atomicList(z.number().int()).optional(),
  supplementalGroupsPolicy: z.string().optional(),
  fsGroup: z.number().int().optional(),
  sysctls: atomicList(z.object({ name: z.string(), value: z.string() })).optional(),
  fsGroupChangePolicy: z.string().optional(),
  seccompProfile: profileSchema.optional(),
  appArmorProfile: profileSchema.optional(),
  seLinuxChangePolicy: z.string().optional(),
});

const dnsConfigSchema = z.object({
  nameservers: atomicList(z.string()).optional(),
  searches: atomicList(z.string()).optional(),
  options: atomicList(z.object({ name: z.string().optional(), value: z.string().optional() })).optional(),
});

export const podSpecSchema = z.object({
  volumes: mapList(volumeSchema, "name").meta({ "x-kubernetes-patch-strategy": "merge,retainKeys" }).optional(),
  initContainers: mapList(containerSchema, "name").optional(),
  containers: mapList(containerSchema, "name"),
  ephemeralContainers: mapList(ephemeralContainerSchema, "name").optional(),
  restartPolicy: z.enum(["Always", "OnFailure", "Never"]).optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  dnsPolicy: z.enum(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]).optional(),
  nodeSelector: stringMap.meta({ "x-kubernetes-map-type": "atomic" }).optional(),
  serviceAccountName: z.string().optional(),
  serviceAccount: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: podSecurityContextSchema.optional(),
  imagePullSecrets: mapList(z.object({ name: z.string().optional() }), "name").optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  affinity: affinitySchema.optional(),
  schedulerName: z.string().optional(),
  tolerations: atomicList(tolerationSchema).optional(),
  hostAliases: mapList(z.object({ ip: z.string(), hostnames: atomicList(z.string()).optional() }), "ip").optional(),
  priorityClassName: z.string().optional(),
  priority: z.number().int().optional(),
  dnsConfig: dnsConfigSchema.optional(),
  readinessGates: mapList(z.object({ conditionType: z.string() }), "conditionType").optional(),
  runtimeClassName: z.string().optional(),
  enableServiceLinks: z.boolean().optional(),
  preemptionPolicy: z.enum(["PreemptLowerPriority", "Never"]).optional(),
  overhead: resourceListSchema.optional(),
  topologySpreadConstraints: mapList(topologySpreadConstraintSchema, "topologyKey", ["whenUnsatisfiable"]).optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  os: z.object({ name: z.string() }).optional(),
  hostUsers: z.boolean().optional(),
  schedulingGates: mapList(z.object({ name: z.string() }), "name").optional(),
  resourceClaims: mapList(
    z.object({ name: z.string(), resourceClaimName: z.string().optional(), resourceClaimTemplateName: z.string().optional() }),
    "name",
  ).optional(),
  resources: resourceRequirementsSchema.optional(),
});

export const podTemplateSpecSchema = z.object({
  metadata: objectMetaSchema.optional(),
  spec: podSpecSchema.optional(),
});

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: time }).optional(),
  terminated: z
    .object({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: time,
      finishedAt: time,
      containerID: z.string().optional(),
    })
    .optional(),
});

export const containerStatusSchema = z.object({
  name: z.string(),
  state: containerStateSchema.optional(),
  lastState: containerStateSchema.optional(),
  ready: z.boolean(),
  restartCount: z.number().int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
  allocatedResources: resourceListSchema.optional(),
  resources: resourceRequirementsSchema.optional(),
  volumeMounts: atomicList(
    z.object({
      name: z.string(),
      mountPath: z.string(),
      readOnly: z.boolean().optional(),
      recursiveReadOnly: z.string().optional(),
    }),
  ).optional(),
  user: z.looseObject({}).optional(),
  allocatedResourcesStatus: atomicList(z.looseObject({})).optional(),
  stopSignal: z.string().optional(),
});

export const podConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  lastProbeTime: time,
  lastTransitionTime: time,
  reason: z.string().optional(),
  message: z.string().optional(),
});

const podIPSchema = z.object({ ip: z.string() });

export const podStatusSchema = z.object({
  phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional(),
  conditions: mapList(podConditionSchema, "type").optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: mapList(podIPSchema, "ip").optional(),
  podIP: z.string().optional(),
  podIPs: mapList(podIPSchema, "ip").optional(),
  startTime: time,
  initContainerStatuses: atomicList(containerStatusSchema).optional(),
  containerStatuses: atomicList(containerStatusSchema).optional(),
  ephemeralContainerStatuses: atomicList(containerStatusSchema).optional(),
  qosClass: z.enum(["Guaranteed", "Burstable", "BestEffort"]).optional(),
  resize: z.string().optional(),
  resourceClaimStatuses: mapList(z.object({ name: z.string(), resourceClaimName: z.string().optional() }), "name").optional(),
});
