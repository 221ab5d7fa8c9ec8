// ValidatePodUpdate: a Pod's spec is frozen after creation except container images,
// activeDeadlineSeconds, added tolerations, removed scheduling gates and a negative grace
// period set to 1. The forbidden cause carries upstream's message (plus a short diff).
import { deepEqual } from "../../../shared/deep-equal";
import { forbidden, invalid, type Cause } from "./field-errors";
import { asArray, asRecord, type Json } from "../../../shared/json";

export const POD_UPDATE_FORBIDDEN =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

function records(v: unknown): Json[] {
  return (asArray(v) ?? []).map((x) => asRecord(x) ?? {});
}

/** validateOnlyAddedTolerations: every old toleration must remain (tolerationSeconds may change). */
function tolerationCauses(next: Json[], old: Json[]): Cause[] {
  for (const o of old) {
    const found = next.some((n) => deepEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")];
  }
  return [];
}

/** validateOnlyDeletedSchedulingGates: gates may only be removed. */
function schedulingGateCauses(next: Json[], old: Json[]): Cause[] {
  const oldNames = new Set(old.map((g) => String(g.name)));
  const added = next.find((g) => !oldNames.has(String(g.name)));
  return added ? [forbidden("spec.schedulingGates", `only deletion is allowed, but found new scheduling gate '${String(added.name)}'`)] : [];
}

/** `spec.nodeName: "a" → "b"` lines for the fields that differ, in place of Go's cmp.Diff. */
function diffSummary(next: Json, old: Json): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
  const lines = keys.filter((k) => !deepEqual(next[k], old[k])).map((k) => `  spec.${k}: ${JSON.stringify(old[k]) ?? "null"} → ${JSON.stringify(next[k]) ?? "null"}`);
  return lines.join("\n");
}

export function validatePodUpdate(nextSpec: Json, oldSpec: Json): Cause[] {
  const causes: Cause[] = [];
  const nextContainers = records(nextSpec.containers);
  const oldContainers = records(oldSpec.containers);
  if (nextContainers.length !== oldContainers.length) {
    return [forbidden("spec.containers", "pod updates may not add or remove containers")];
  }
  const nextInit = records(nextSpec.initContainers);
  const oldInit = records(oldSpec.initContainers);
  if (nextInit.length !== oldInit.length) return [forbidden("spec.initContainers", "pod updates may not add or remove containers")];
  causes.push(...tolerationCauses(records(nextSpec.tolerations), records(oldSpec.tolerations)));
  causes.push(...schedulingGateCauses(records(nextSpec.schedulingGates), records(oldSpec.schedulingGates)));
  if (deepEqual(nextSpec, oldSpec)) return causes;

  // Munge the updatable fields to their old values, then anything left is a forbidden change.
  const munged: Json = structuredClone(nextSpec);
  munged.containers = nextContainers.map((c, i) => ({ ...c, image: oldContainers[i]!.image }));
  if (nextInit.length) munged.initContainers = nextInit.map((c, i) => ({ ...c, image: oldInit[i]!.image }));
  for (const key of ["activeDeadlineSeconds", "schedulingGates", "tolerations"]) {
    if (oldSpec[key] === undefined) delete munged[key];
    else munged[key] = oldSpec[key];
  }
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === "number" && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  const deadline = nextSpec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (typeof oldDeadline === "number") {
    if (deadline === undefined || deadline === null) {
      causes.push(invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
    } else if (typeof deadline === "number" && deadline > oldDeadline) {
      causes.push(invalid("spec.activeDeadlineSeconds", deadline, "must be less than or equal to previous value"));
    }
  }
  if (!deepEqual(munged, oldSpec)) causes.push(forbidden("spec", `${POD_UPDATE_FORBIDDEN}\n${diffSummary(munged, oldSpec)}`));
  return causes;
}
