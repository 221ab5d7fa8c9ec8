// What Deployments, ReplicaSets and StatefulSets share: the pod template's defaults and
// rules, the selector checks, and the CONTAINERS / IMAGES / SELECTOR columns.
import { labelSelectorFromSpec, matchLabels } from "../../api/selectors";
import { deepEqual } from "../../lib/deep-equal";
import { invalid, immutable, metadataNameCauses, notSupported, required, type Cause } from "../shared/cfg-causes";
import { arr, rec, str, type Json } from "../shared/cfg-util";
import type { KubeObject, PrinterColumn } from "../types";
import { applyPodSpecDefaults, validatePodSpec } from "../core/pod-spec";

export const WIDE_COLUMNS: PrinterColumn[] = [
  { name: "Containers", type: "string", description: "Names of each container in the template.", priority: 1 },
  { name: "Images", type: "string", description: "Images referenced by each container in the template.", priority: 1 },
  { name: "Selector", type: "string", description: "Label selector for pods.", priority: 1 },
];

export function templateContainers(obj: KubeObject): Json[] {
  return (arr(rec(rec(rec(obj.spec)?.template)?.spec)?.containers) ?? []).map((c) => rec(c) ?? {});
}

/** metav1.FormatLabelSelector as kubectl prints it in the SELECTOR column. */
export function selectorString(selector: unknown): string {
  const s = rec(selector);
  if (!s) return "<none>";
  const parts: string[] = [];
  const labels = rec(s.matchLabels) ?? {};
  for (const k of Object.keys(labels).sort()) parts.push(`${k}=${String(labels[k])}`);
  for (const e of (arr(s.matchExpressions) ?? []).map((x) => rec(x) ?? {})) {
    const values = (arr(e.values) ?? []).map(String).join(",");
    if (e.operator === "In") parts.push(`${String(e.key)} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === "Exists") parts.push(String(e.key));
    else if (e.operator === "DoesNotExist") parts.push(`!${String(e.key)}`);
  }
  return parts.length ? parts.join(",") : "<none>";
}

export function wideCells(obj: KubeObject, withSelector = true): string[] {
  const containers = templateContainers(obj);
  const cells = [containers.map((c) => str(c.name) ?? "").join(","), containers.map((c) => str(c.image) ?? "").join(",")];
  if (withSelector) cells.push(selectorString(rec(obj.spec)?.selector));
  return cells;
}

/** Defaults inside spec.template (the pod spec defaults apply to templates too). */
export function applyTemplateDefaults(spec: Json): void {
  const template = rec(spec.template);
  const podSpec = rec(template?.spec);
  if (podSpec) applyPodSpecDefaults(podSpec);
}

/** Selector required, matching the template's labels; template valid with restartPolicy Always. */
export function validateWorkload(obj: KubeObject, old: KubeObject | undefined, options: { replicasField?: boolean } = {}): Cause[] {
  const causes: Cause[] = metadataNameCauses(obj.metadata.name, "subdomain");
  const spec = rec(obj.spec);
  if (!spec) return [...causes, required("spec")];
  const selector = rec(spec.selector);
  if (!selector) causes.push(required("spec.selector"));
  else if (Object.keys(rec(selector.matchLabels) ?? {}).length === 0 && (arr(selector.matchExpressions) ?? []).length === 0) {
    causes.push(invalid("spec.selector", selector, "empty selector is invalid for deployment"));
  }
  const template = rec(spec.template);
  const labels = (rec(rec(template?.metadata)?.labels) ?? {}) as Record<string, string>;
  if (selector) {
    let matches = false;
    try {
      matches = matchLabels(labelSelectorFromSpec(selector), labels);
    } catch {
      matches = false;
    }
    if (!matches) causes.push(invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  if (!template) causes.push(required("spec.template"));
  else {
    causes.push(...validatePodSpec("spec.template.spec", rec(template.spec)));
    const restart = rec(template.spec)?.restartPolicy;
    if (restart !== undefined && restart !== "Always") causes.push(notSupported("spec.template.spec.restartPolicy", restart, ["Always"]));
  }
  if (options.replicasField !== false && typeof spec.replicas === "number" && spec.replicas < 0) {
    causes.push(invalid("spec.replicas", spec.replicas, "must be greater than or equal to 0"));
  }
  if (old && selector && !deepEqual(selector, rec(old.spec)?.selector)) causes.push(immutable("spec.selector", selector));
  return causes;
}

export function readyCount(obj: KubeObject, field = "readyReplicas"): number {
  const v = rec(obj.status)?.[field];
  return typeof v === "number" ? v : 0;
}

export function specReplicas(obj: KubeObject): number {
  const v = rec(obj.spec)?.replicas;
  return typeof v === "number" ? v : 0;
}

/** Status is the controllers' to write; the main resource keeps the stored one. */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = old.status;
}
