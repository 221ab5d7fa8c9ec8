// The NodeRestriction admission plugin's rules for a node writing its own Node object: it may
// not change its taints (a compromised node could otherwise shed NoSchedule/NoExecute taints or
// attract pods and their secrets) nor labels under node-restriction.kubernetes.io/.
import type { KubeObject } from "../resources/types";
import { deepEqual } from "../../shared/deep-equal";
import type { Principal } from "./access";
import { StatusError } from "../../shared/status-error";

const RESTRICTED_LABEL_PREFIX = "node-restriction.kubernetes.io/";

function denied(name: string, what: string): StatusError {
  return new StatusError(403, "Forbidden", `nodes "${name}" is forbidden: node "${name}" is not allowed to ${what}`, { name, group: "", kind: "nodes" });
}

function restrictedLabels(obj: KubeObject | null): Record<string, string> {
  return Object.fromEntries(Object.entries(obj?.metadata.labels ?? {}).filter(([key]) => key.startsWith(RESTRICTED_LABEL_PREFIX)));
}

/** Throws 403 when a node principal's write of a Node breaks NodeRestriction; `old` is null on create. */
export function admitNodeWrite(principal: Principal, old: KubeObject | null, next: KubeObject): void {
  if (principal.kind !== "node") return;
  const name = next.metadata.name ?? "";
  const before = restrictedLabels(old);
  const after = restrictedLabels(next);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => before[key] !== after[key]);
  if (changed.length > 0) throw denied(name, `modify labels: ${changed.sort().join(", ")}`);
  if (old && !deepEqual((old.spec as { taints?: unknown } | undefined)?.taints ?? [], (next.spec as { taints?: unknown } | undefined)?.taints ?? [])) {
    throw denied(name, "modify taints");
  }
}
