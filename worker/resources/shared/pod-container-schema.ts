// core/v1 Container and its parts (ports, env, probes, lifecycle, securityContext) as zod
// schemas with Kubernetes' patch metadata; PodSpec (pod-spec-schema.ts) composes them.
import { z } from "zod";
import { atomicList, intOrString, mapList, quantity } from "../meta";

export const resourceListSchema = z.record(z.string(), quantity);

const localRef = z.object({ name: z.string().optional() });
const keySelector = z.object({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

export const objectFieldSelectorSchema = z.object({ apiVersion: z.string().optional(), fieldPath: z.string() });
export const resourceFieldSelectorSchema = z.object({
  containerName: z.string().optional(),
  resource: z.string(),
  divisor: quantity.optional(),
});

export const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({
      fieldRef: objectFieldSelectorSchema.optional(),
      resourceFieldRef: resourceFieldSelectorSchema.optional(),
      configMapKeyRef: keySelector.meta({ "x-kubernetes-map-type": "atomic" }).optional(),
      secretKeyRef: keySelector.meta({ "x-kubernetes-map-type": "atomic" }).optional(),
    })
    .optional(),
});

const envFromSchema = z.object({
  prefix: z.string().optional(),
  configMapRef: localRef.extend({ optional: z.boolean().optional() }).optional(),
  secretRef: localRef.extend({ optional: z.boolean().optional() }).optional(),
});

export const containerPortSchema = z.object({
  name: z.string().optional(),
  hostPort: z.number().int().optional(),
  containerPort: z.number().int(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  hostIP: z.string().optional(),
});

export const resourceRequirementsSchema = z.object({
  limits: resourceListSchema.optional(),
  requests: resourceListSchema.optional(),
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

const httpGetSchema = z.object({
  path: z.string().optional(),
  port: intOrString,
  host: z.string().optional(),
  scheme: z.enum(["HTTP", "HTTPS"]).optional(),
  httpHeaders: atomicList(z.object({ name: z.string(), value: z.string() })).optional(),
});

const handlerFields = {
  exec: z.object({ command: atomicList(z.string()).optional() }).optional(),
  httpGet: httpGetSchema.optional(),
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

const lifecycleHandlerSchema = z.object({ ...handlerFields, sleep: z.object({ seconds: z.number().int() }).optional() });

export const seLinuxOptionsSchema = z.object({
  user: z.string().optional(),
  role: z.string().optional(),
  type: z.string().optional(),
  level: z.string().optional(),
});

export const windowsOptionsSchema = z.object({
  gmsaCredentialSpecName: z.string().optional(),
  gmsaCredentialSpec: z.string().optional(),
  runAsUserName: z.string().optional(),
  hostProcess: z.boolean().optional(),
});

/** SeccompProfile and AppArmorProfile share this shape. */
export const profileSchema = z.object({ type: z.string(), localhostProfile: z.string().optional() });

export const securityContextSchema = z.object({
  capabilities: z.object({ add: atomicList(z.string()).optional(), drop: atomicList(z.string()).optional() }).optional(),
  privileged: z.boolean().optional(),
  seLinuxOptions: seLinuxOptionsSchema.optional(),
  windowsOptions: windowsOptionsSchema.optional(),
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  runAsNonRoot: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  procMount: z.string().optional(),
  seccompProfile: profileSchema.optional(),
  appArmorProfile: profileSchema.optional(),
});

const containerFields = {
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
  restartPolicy: z.enum(["Always"]).optional(),
  volumeMounts: mapList(volumeMountSchema, "mountPath").optional(),
  volumeDevices: mapList(z.object({ name: z.string(), devicePath: z.string() }), "devicePath").optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  lifecycle: z
    .object({ postStart: lifecycleHandlerSchema.optional(), preStop: lifecycleHandlerSchema.optional(), stopSignal: z.string().optional() })
    .optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(["File", "FallbackToLogsOnError"]).optional(),
  imagePullPolicy: z.enum(["Always", "Never", "IfNotPresent"]).optional(),
  securityContext: securityContextSchema.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
};

export const containerSchema = z.object(containerFields);

/** EphemeralContainer: a Container plus the container whose namespaces it targets. */
export const ephemeralContainerSchema = z.object({ ...containerFields, targetContainerName: z.string().optional() });
