// The per-kind table entry (Kubernetes' registry strategy): everything the generic verbs,
// discovery, OpenAPI and Table output need to serve one kind. A new kind is one new
// ResourceDef in the registry map; no route code changes.
import type { z } from "zod";

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: "Apply" | "Update";
  apiVersion?: string;
  time?: string;
  fieldsType?: "FieldsV1";
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Any stored object: apiVersion, kind, metadata and whatever the kind adds. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** One column of `kubectl get` output (meta.k8s.io/v1 TableColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  /** 0 = shown by default, 1 = only with `-o wide`. */
  priority: 0 | 1;
}

/** Who is asking, for strategies that need it (managedFields, defaults). */
export interface RequestContext {
  now: Date;
  user: string;
  /**
   * DefaultTolerationSeconds admission: how long new pods tolerate a not-ready or
   * unreachable node (kube-apiserver's --default-unreachable-toleration-seconds, 300).
   */
  defaultTolerationSeconds?: number;
}

export interface ResourceDef {
  /** API group, "" for the core group. */
  group: string;
  /** The storage (and preferred) version. */
  version: string;
  /** Other versions accepted and converted on the way in (e.g. networking.k8s.io/v1beta1). */
  servedVersions?: string[];
  kind: string;
  listKind: string;
  /** Lower-case plural, the URL segment: `pods`. */
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  /** Verbs advertised in discovery. */
  verbs: string[];
  /** The whole object's schema (apiVersion, kind, metadata, spec, status, ...). */
  schema: z.ZodType;
  subresources: {
    status?: boolean;
    scale?: ScaleSubresource;
  } & { [name in ServedSubresource]?: true };
  /** Field selectors this kind supports beyond metadata.name / metadata.namespace. */
  selectableFields?: Record<string, (obj: KubeObject) => string | undefined>;
  /**
   * Selectable fields the store finds objects by (ListOptions.field; an index in SQL): a list with
   * an equality on one reads only the matching rows. Pods: spec.nodeName, as kube-apiserver.
   */
  indexedFields?: readonly string[];
  printerColumns: PrinterColumn[];
  /** One Table row's cells, in printerColumns order. */
  printRow(obj: KubeObject, now: Date): unknown[];
  /**
   * What a name must be, as upstream validates it: a DNS-1123 subdomain unless the kind says a
   * DNS-1123 label (Namespace) or a DNS-1035 label (Service: the name becomes a DNS label and an
   * environment variable, so it starts with a letter).
   */
  nameFormat?: "dns1123-label" | "dns1035-label" | "path-segment";
  /** Stored encrypted when a key is configured (kube-apiserver's EncryptionConfiguration lists Secrets). */
  encryptAtRest?: boolean;
  /** false: writes of this kind do not wake the controller loop (Events drive no controller). */
  wakesControllers?: boolean;
  /** A PUT to a name that does not exist creates it (the strategy's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /** Fill defaults and reset what the client may not set (status on a kind with a status subresource). */
  prepareForCreate?(obj: KubeObject, ctx: RequestContext): void;
  /** Keep status from `old` when the kind has a status subresource; bump generation on spec change. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): void;
  /**
   * The grace period a delete gets (the strategy's CheckGracefulDelete): a number, possibly 0, when
   * the object must be stopped by its owner before it goes (a pod on a node); undefined when a delete
   * removes it at once. `requested` is the client's gracePeriodSeconds.
   */
  checkGracefulDelete?(obj: KubeObject, requested: number | undefined): number | undefined;
  /**
   * Finalizers kept in the object itself that hold its deletion until emptied through /finalize
   * (a Namespace's spec.finalizers, which the namespace controller clears once it is empty).
   */
  specFinalizers?(obj: KubeObject): string[];
  /** What a deletion held by specFinalizers marks on the object (a Namespace's phase Terminating). */
  markTerminating?(obj: KubeObject): void;
  /** Kind-specific validation beyond the schema (immutable fields, cross-field rules). Returns causes. */
  validate?(obj: KubeObject, old?: KubeObject): { field: string; reason: string; message: string }[];
  /** Convert an object of another served version to the storage version. */
  convertIn?(obj: KubeObject, fromVersion: string): KubeObject;
  /** Convert a stored object to another served version for a client that asked for it. */
  convertOut?(obj: KubeObject, toVersion: string): KubeObject;
}

/**
 * Subresources with a handler of their own (worker/api/subresources/), which a kind serves when
 * its definition lists them: kube-apiserver's per-kind storage map (PodStorage{Binding, Log, Exec, …}).
 */
export type ServedSubresource = "binding" | "log" | "exec" | "attach" | "portforward" | "token" | "finalize";

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}
