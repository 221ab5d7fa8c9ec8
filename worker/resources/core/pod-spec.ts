// PodSpec and its parts (core/v1), shared by Pods and every pod template: the schema with
// Kubernetes' merge keys, the defaults kube-apiserver fills, and the spec validation rules.
import { z } from "zod";
import { atomicList, intOrString, labelSelectorSchema, mapList, objectMetaSchema, quantity, stringMap } from "../meta";
import { dns1123LabelCauses, duplicate, invalid, notSupported, portNumCauses, required, type Cause } from "../shared/cfg-causes";
import { arr, rec, str, type Json } from "../shared/cfg-util";

/** Deep, rarely used structures are kept whole (not dropped) without modelling every field. */
const loose = () => z.looseObject({});

const keySelector = z.object({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

export const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({
      fieldRef: z.object({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
      resourceFieldRef: z.object({ containerName: z.string().optional(), resource: z.string(), divisor: quantity.optional() }).optional(),
      configMapKeyRef: keySelector.optional(),
      secretKeyRef: keySelector.optional(),
    })
    .optional(),
});

const envFromSchema = z.object({
  prefix: z.string().optional(),
  configMapRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
  secretRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
});

const containerPortSchema = z.object({
  name: z.string().optional(),
  hostPort: z.number().int().optional(),
  containerPort: z.number().int(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  hostIP: z.string().optional(),
});

const resourceRequirementsSchema = z.object({
  limits: z.record(z.string(), quantity).optional(),
  requests: z.record(z.string(), quantity).optional(),
  claims: mapList(z.object({ name: z.string(), request: z.string().optional() }), "name").optional(),
});

const volumeMountSchema = z.object({
  name: z.string(),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.string().optional(),
  mountPath: z.string(),
  subPath: z.string().optional(),
  mountPropagation: z.string().optional(),
  subPathExpr: z.string().optional(),
});

const handlerFields = {
  exec: z.object({ command: atomicList(z.string()).optional() }).optional(),
  httpGet: z
    .object({
      path: z.string().optional(),
      port: intOrString,
      host: z.string().optional(),
      scheme: z.enum(["HTTP", "HTTPS"]).optional(),
      httpHeaders: atomicList(z.object({ name: z.string(), value: z.string() })).optional(),
    })
    .optional(),
  tcpSocket: z.object({ port: intOrString, host: z.string().optional() }).optional(),
};

export const probeSchema = z.object({
  ...handlerFields,
  grpc: z.object({ port: z.number().int(), service: z.string().optional() }).optional(),
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
});

const lifecycleHandler = z.object({ ...handlerFields, sleep: z.object({ seconds: z.number().int() }).optional() });

export const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  command: atomicList(z.string()).optional(),
  args: atomicList(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: mapList(containerPortSchema, "containerPort", ["protocol"]).optional(),
  envFrom: atomicList(envFromSchema).optional(),
  env: mapList(envVarSchema, "name").optional(),
  resources: resourceRequirementsSchema.optional(),
  resizePolicy: atomicList(z.object({ resourceName: z.string(), restartPolicy: z.string() })).optional(),
  restartPolicy: z.string().optional(),
  volumeMounts: mapList(volumeMountSchema, "mountPath").optional(),
  volumeDevices: mapList(z.object({ name: z.string(), devicePath: z.string() }), "devicePath").optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  lifecycle: z.object({ postStart: lifecycleHandler.optional(), preStop: lifecycleHandler.optional(), stopSignal: z.string().optional() }).optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(["File", "FallbackToLogsOnError"]).optional(),
  imagePullPolicy: z.enum(["Always", "Never", "IfNotPresent"]).optional(),
  securityContext: loose().optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});

const keyToPath = z.object({ key: z.string(), path: z.string(), mode: z.number().int().optional() });

export const volumeSchema = z.object({
  name: z.string(),
  hostPath: z.object({ path: z.string(), type: z.string().optional() }).optional(),
  emptyDir: z.object({ medium: z.string().optional(), sizeLimit: quantity.optional() }).optional(),
  secret: z
    .object({ secretName: z.string().optional(), items: atomicList(keyToPath).optional(), defaultMode: z.number().int().optional(), optional: z.boolean().optional() })
    .optional(),
  configMap: z
    .object({ name: z.string().optional(), items: atomicList(keyToPath).optional(), defaultMode: z.number().int().optional(), optional: z.boolean().optional() })
    .optional(),
  persistentVolumeClaim: z.object({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
  nfs: z.object({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() }).optional(),
  downwardAPI: loose().optional(),
  projected: loose().optional(),
  csi: loose().optional(),
  ephemeral: loose().optional(),
  image: loose().optional(),
  iscsi: loose().optional(),
  gcePersistentDisk: loose().optional(),
  awsElasticBlockStore: loose().optional(),
  azureDisk: loose().optional(),
  azureFile: loose().optional(),
  cephfs: loose().optional(),
  rbd: loose().optional(),
  fc: loose().optional(),
  local: loose().optional(),
});

const tolerationSchema = z.object({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.number().int().optional(),
});

export const podSpecSchema = z.object({
  volumes: mapList(volumeSchema, "name").meta({ "x-kubernetes-patch-strategy": "merge,retainKeys" }).optional(),
  initContainers: mapList(containerSchema, "name").optional(),
  containers: mapList(containerSchema, "name"),
  ephemeralContainers: mapList(containerSchema.extend({ targetContainerName: z.string().optional() }), "name").optional(),
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
  securityContext: loose().optional(),
  imagePullSecrets: mapList(z.object({ name: z.string().optional() }), "name").optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  affinity: loose().optional(),
  schedulerName: z.string().optional(),
  tolerations: atomicList(tolerationSchema).optional(),
  hostAliases: mapList(z.object({ ip: z.string(), hostnames: atomicList(z.string()).optional() }), "ip").optional(),
  priorityClassName: z.string().optional(),
  priority: z.number().int().optional(),
  dnsConfig: loose().optional(),
  readinessGates: atomicList(z.object({ conditionType: z.string() })).optional(),
  runtimeClassName: z.string().optional(),
  enableServiceLinks: z.boolean().optional(),
  preemptionPolicy: z.string().optional(),
  overhead: z.record(z.string(), quantity).optional(),
  topologySpreadConstraints: mapList(loose(), "topologyKey", ["whenUnsatisfiable"]).optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  os: z.object({ name: z.string() }).optional(),
  hostUsers: z.boolean().optional(),
  schedulingGates: mapList(z.object({ name: z.string() }), "name").optional(),
  resourceClaims: mapList(loose(), "name").optional(),
  resources: resourceRequirementsSchema.optional(),
});

export const podTemplateSpecSchema = z.object({
  metadata: objectMetaSchema.optional(),
  spec: podSpecSchema.optional(),
});

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: z.string().nullable().optional() }).optional(),
  terminated: z
    .object({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().nullable().optional(),
      finishedAt: z.string().nullable().optional(),
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
  allocatedResources: z.record(z.string(), quantity).optional(),
  resources: resourceRequirementsSchema.optional(),
  volumeMounts: atomicList(loose()).optional(),
  user: loose().optional(),
});

export const podConditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  lastProbeTime: z.string().nullable().optional(),
  lastTransitionTime: z.string().nullable().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const podStatusSchema = z.object({
  phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional(),
  conditions: mapList(podConditionSchema, "type").optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: mapList(z.object({ ip: z.string() }), "ip").optional(),
  podIP: z.string().optional(),
  podIPs: mapList(z.object({ ip: z.string() }), "ip").optional(),
  startTime: z.string().nullable().optional(),
  initContainerStatuses: atomicList(containerStatusSchema).optional(),
  containerStatuses: atomicList(containerStatusSchema).optional(),
  ephemeralContainerStatuses: atomicList(containerStatusSchema).optional(),
  qosClass: z.enum(["Guaranteed", "Burstable", "BestEffort"]).optional(),
  resize: z.string().optional(),
});

export { labelSelectorSchema };

/** imagePullPolicy default: Always for `:latest` or an untagged image, else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return "IfNotPresent";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  if (image.includes("@")) return "IfNotPresent";
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultProbe(probe: unknown): void {
  const p = rec(probe);
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  const http = rec(p.httpGet);
  if (http) {
    http.path ??= "/";
    http.scheme ??= "HTTP";
  }
}

function defaultContainer(c: Json): void {
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.imagePullPolicy ??= defaultPullPolicy(str(c.image));
  c.resources ??= {};
  for (const port of arr(c.ports) ?? []) {
    const p = rec(port);
    if (p) p.protocol ??= "TCP";
  }
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) defaultProbe(c[probe]);
  // Limits without requests: requests default to the limits (upstream's defaulting).
  const resources = rec(c.resources);
  const limits = rec(resources?.limits);
  if (resources && limits) resources.requests = { ...limits, ...(rec(resources.requests) ?? {}) };
}

/** kube-apiserver's SetDefaults_PodSpec and the container defaults, in place. */
export function applyPodSpecDefaults(spec: Json): void {
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.securityContext ??= {};
  spec.schedulerName ??= "default-scheduler";
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccountName === undefined && spec.serviceAccount !== undefined) spec.serviceAccountName = spec.serviceAccount;
  for (const list of ["initContainers", "containers", "ephemeralContainers"]) {
    for (const c of arr(spec[list]) ?? []) if (rec(c)) defaultContainer(c as Json);
  }
  for (const v of arr(spec.volumes) ?? []) {
    const vol = rec(v);
    if (!vol) continue;
    const secret = rec(vol.secret);
    if (secret) secret.defaultMode ??= 420;
    const cm = rec(vol.configMap);
    if (cm) cm.defaultMode ??= 420;
    const hostPath = rec(vol.hostPath);
    if (hostPath) hostPath.type ??= "";
  }
}

const RESTART_POLICIES = ["Always", "OnFailure", "Never"];

/** ValidatePodSpec's rules that matter most, with upstream's field paths and messages. */
export function validatePodSpec(path: string, spec: Json | undefined): Cause[] {
  const causes: Cause[] = [];
  if (!spec) return [required(path)];
  const containers = arr(spec.containers) ?? [];
  if (containers.length === 0) causes.push(required(`${path}.containers`));
  const names = new Set<string>();
  const volumeNames = new Set((arr(spec.volumes) ?? []).map((v) => str(rec(v)?.name) ?? ""));
  const checkContainers = (list: string) => {
    (arr(spec[list]) ?? []).forEach((raw, i) => {
      const c = rec(raw) ?? {};
      const at = `${path}.${list}[${i}]`;
      const name = str(c.name) ?? "";
      if (!name) causes.push(required(`${at}.name`));
      else {
        causes.push(...dns1123LabelCauses(`${at}.name`, name));
        if (names.has(name)) causes.push(duplicate(`${at}.name`, name));
        names.add(name);
      }
      if (!str(c.image)?.trim()) causes.push(required(`${at}.image`));
      (arr(c.ports) ?? []).forEach((p, j) => {
        const port = rec(p) ?? {};
        causes.push(...portNumCauses(`${at}.ports[${j}].containerPort`, port.containerPort));
        if (port.hostPort !== undefined && port.hostPort !== 0) causes.push(...portNumCauses(`${at}.ports[${j}].hostPort`, port.hostPort));
      });
      (arr(c.volumeMounts) ?? []).forEach((m, j) => {
        const mount = rec(m) ?? {};
        if (!volumeNames.has(str(mount.name) ?? "")) causes.push({ field: `${at}.volumeMounts[${j}].name`, reason: "FieldValueNotFound", message: `Not found: ${JSON.stringify(mount.name)}` });
      });
    });
  };
  checkContainers("initContainers");
  checkContainers("containers");
  const seenVolumes = new Set<string>();
  (arr(spec.volumes) ?? []).forEach((v, i) => {
    const name = str(rec(v)?.name) ?? "";
    if (!name) causes.push(required(`${path}.volumes[${i}].name`));
    else if (seenVolumes.has(name)) causes.push(duplicate(`${path}.volumes[${i}].name`, name));
    seenVolumes.add(name);
  });
  const restart = spec.restartPolicy;
  if (restart !== undefined && !RESTART_POLICIES.includes(String(restart))) causes.push(notSupported(`${path}.restartPolicy`, restart, RESTART_POLICIES));
  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace === "number" && grace < 0) causes.push(invalid(`${path}.terminationGracePeriodSeconds`, grace, "must be greater than or equal to 0"));
  return causes;
}
