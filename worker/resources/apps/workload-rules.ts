// What Deployments, ReplicaSets and StatefulSets share: the pod template's defaults and
// rules (ValidatePodTemplateSpecForReplicaSet), the selector checks, and the wide columns.
import { labelSelectorFromSpec, matchLabels } from "../../../shared/selectors";
import { deepEqual } from "../../../shared/deep-equal";
import { forbidden, invalid, metadataNameCauses, notSupported, required, type Cause } from "../shared/field-errors";
import { asArray, asRecord, str, type Json } from "../../../shared/json";
import { bumpGenerationOnSpecChange } from "../meta";
import { specOf } from "../shared/prepare-helpers";
import { applyPodSpecDefaults } from "../shared/pod-defaults";
import { validatePodSpec } from "../shared/pod-validation";
import type { KubeObject, PrinterColumn, ResourceDef } from "../types";

export const CONTAINERS_COLUMN: PrinterColumn = { name: "Containers", type: "string", description: "Names of each container in the template.", priority: 1 };
export const IMAGES_COLUMN: PrinterColumn = { name: "Images", type: "string", description: "Images referenced by each container in the template.", priority: 1 };
export const SELECTOR_COLUMN: PrinterColumn = { name: "Selector", type: "string", description: "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.", priority: 1 };

/** The items of an array as objects, a non-object as `{}`: indexes stay, as field paths name them. */
function itemsAsRecords(v: unknown): Json[] {
  return (asArray(v) ?? []).map((x) => asRecord(x) ?? {});
}

export function templateContainers(obj: KubeObject): Json[] {
  return itemsAsRecords(asRecord(asRecord(asRecord(obj.spec)?.template)?.spec)?.containers);
}

/** layoutContainerCells: names and images joined with commas. */
export function containerCells(obj: KubeObject): [string, string] {
  const containers = templateContainers(obj);
  return [containers.map((c) => str(c.name) ?? "").join(","), containers.map((c) => str(c.image) ?? "").join(",")];
}

/** Go's %#v of map[string]string, as field errors print template labels. */
export function goStringMap(m: unknown): string {
  const r = asRecord(m) ?? {};
  const body = Object.keys(r)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(r[k]))}`)
    .join(", ");
  return `map[string]string{${body}}`;
}

/** Go's %#v of a *metav1.LabelSelector, as "field is immutable" errors print it. */
export function goLabelSelector(selector: unknown): string {
  const s = asRecord(selector) ?? {};
  const labels = asRecord(s.matchLabels) ? goStringMap(s.matchLabels) : "map[string]string(nil)";
  const exprs = asArray(s.matchExpressions);
  const exprText = exprs
    ? `[]v1.LabelSelectorRequirement{${itemsAsRecords(exprs)
        .map((e) => {
          const values = asArray(e.values) ? `[]string{${(asArray(e.values) ?? []).map((v) => JSON.stringify(String(v))).join(", ")}}` : "[]string(nil)";
          return `v1.LabelSelectorRequirement{Key:${JSON.stringify(String(e.key ?? ""))}, Operator:${JSON.stringify(String(e.operator ?? ""))}, Values:${values}}`;
        })
        .join(", ")}}`
    : "[]v1.LabelSelectorRequirement(nil)";
  return `v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprText}}`;
}

/** A cause whose value is already formatted the Go way. */
function invalidRaw(field: string, goText: string, detail: string): Cause {
  return { field, reason: "FieldValueInvalid", message: `Invalid value: ${goText}: ${detail}` };
}

/** Pod template defaults (SetDefaults_PodSpec applies inside templates too). */
export function applyTemplateDefaults(spec: Json): void {
  const podSpec = asRecord(asRecord(spec.template)?.spec);
  if (podSpec) applyPodSpecDefaults(podSpec);
}

export interface WorkloadRules {
  /** "deployment" / "statefulset": names the kind in "empty selector is invalid for …". */
  selectorNoun: string;
  /** apps/v1 Deployments and ReplicaSets answer "field is immutable" for a changed selector. */
  selectorImmutable: boolean;
  /** Volume names mounts may use without a spec.volumes entry (claim templates). */
  extraVolumes?: string[];
  /** Names the kind in "activeDeadlineSeconds in … is not Supported". */
  deadlineNoun?: string;
}

function nonNegative(causes: Cause[], field: string, value: unknown): void {
  if (typeof value === "number" && value < 0) causes.push(invalid(field, value, "must be greater than or equal to 0"));
}

/** Name, selector, template and counts: the rules every apps/v1 workload shares. */
export function validateWorkload(obj: KubeObject, old: KubeObject | undefined, rules: WorkloadRules): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const spec = asRecord(obj.spec);
  if (!spec) return [...causes, required("spec")];
  nonNegative(causes, "spec.replicas", spec.replicas);
  nonNegative(causes, "spec.minReadySeconds", spec.minReadySeconds);
  nonNegative(causes, "spec.revisionHistoryLimit", spec.revisionHistoryLimit);

  const selector = asRecord(spec.selector);
  let selectorOk = false;
  if (!selector) causes.push(required("spec.selector"));
  else if (Object.keys(asRecord(selector.matchLabels) ?? {}).length + (asArray(selector.matchExpressions) ?? []).length === 0) {
    causes.push(invalidRaw("spec.selector", goLabelSelector(selector), `empty selector is invalid for ${rules.selectorNoun}`));
  } else selectorOk = true;

  const template = asRecord(spec.template);
  if (!template) causes.push(required("spec.template"));
  else {
    const labels = asRecord(asRecord(template.metadata)?.labels) ?? {};
    if (selector && selectorOk) {
      let matches: boolean;
      try {
        matches = matchLabels(labelSelectorFromSpec(selector), labels as Record<string, string>);
      } catch {
        matches = false;
        causes.push(invalidRaw("spec.selector", goLabelSelector(selector), "invalid label selector"));
      }
      if (!matches) causes.push(invalidRaw("spec.template.metadata.labels", goStringMap(labels), "`selector` does not match template `labels`"));
    }
    const podSpec = asRecord(template.spec);
    causes.push(...validatePodSpec("spec.template.spec", podSpec, rules.extraVolumes));
    const restart = podSpec?.restartPolicy;
    if (podSpec && restart !== "Always") causes.push(notSupported("spec.template.spec.restartPolicy", restart ?? "", ["Always"]));
    if (podSpec?.activeDeadlineSeconds !== undefined) {
      const noun = rules.deadlineNoun ?? "ReplicaSet";
      const detail = `activeDeadlineSeconds in ${noun} is not Supported`;
      causes.push(noun === "StatefulSet" ? forbidden("spec.template.spec.activeDeadlineSeconds", detail) : invalid("spec.template.spec.activeDeadlineSeconds", podSpec.activeDeadlineSeconds, detail));
    }
  }
  if (old && rules.selectorImmutable && selector && !deepEqual(selector, asRecord(old.spec)?.selector)) {
    causes.push(invalidRaw("spec.selector", goLabelSelector(selector), "field is immutable"));
  }
  return causes;
}

/** Reads a numeric status/spec field, 0 when unset (Go's zero value). */
export function count(obj: KubeObject, part: "spec" | "status", key: string): number {
  const v = asRecord(obj[part])?.[key];
  return typeof v === "number" ? v : 0;
}

/** Status is the controllers' to write: reset on create, kept from the stored object on update. */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = old.status;
}

/** The strategy's PrepareForCreate: empty status, generation 1. */
export function resetForCreate(obj: KubeObject): void {
  obj.status = {};
  obj.metadata.generation = 1;
}

/**
 * The three workload kinds' PrepareForCreate and PrepareForUpdate (upstream's strategies are alike):
 * defaults on both; status reset and generation 1 on create; status kept and generation bumped on a
 * spec change on update.
 */
export function workloadPrepare(applyDefaults: (spec: Json) => void): Pick<ResourceDef, "prepareForCreate" | "prepareForUpdate"> {
  return {
    prepareForCreate(obj) {
      const spec = specOf(obj);
      if (spec) applyDefaults(spec);
      resetForCreate(obj);
    },
    prepareForUpdate(obj, old) {
      const spec = specOf(obj);
      if (spec) applyDefaults(spec);
      keepStatus(obj, old);
      bumpGenerationOnSpecChange(obj, old);
    },
  };
}
