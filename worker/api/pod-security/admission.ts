// Pod Security admission, as Kubernetes' built-in plugin: a namespace's
// pod-security.kubernetes.io/{enforce,warn,audit} labels name a level (privileged, baseline,
// restricted). A pod violating the enforce level is refused with upstream's message; warn
// violations come back as `Warning:` headers; a workload's pod template is only warned about.
// Namespaces without a label get the cluster default (baseline; POD_SECURITY_DEFAULT_ENFORCE),
// and kube-system is privileged.
import type { KubeObject } from "../../resources/types";
import type { WriteContext } from "../write/context";
import { cachedNamespace } from "../namespace-lifecycle";
import { describeViolations, LEVELS, violations, type Level } from "./checks";
import { StatusError } from "../../../shared/status-error";
import { asRecord } from "../../../shared/json";

const LABEL = "pod-security.kubernetes.io";
export const DEFAULT_ENFORCE: Level = "baseline";
/** Namespaces whose pods are the cluster's own: never restricted, as kubeadm's kube-system. */
const PRIVILEGED_NAMESPACES = new Set(["kube-system"]);

interface Mode {
  level: Level;
  version: string;
}

export interface NamespacePolicy {
  enforce: Mode;
  warn?: Mode;
  audit?: Mode;
}

function levelOf(value: string | undefined): Level | undefined {
  return LEVELS.find((l) => l === value);
}

/** The namespace's modes from its labels; enforce falls back to the cluster default. */
export function podSecurityPolicyOf(namespace: string, labels: Record<string, string>, defaultEnforce: Level): NamespacePolicy {
  const mode = (name: string): Mode | undefined => {
    const level = levelOf(labels[`${LABEL}/${name}`]);
    return level && { level, version: labels[`${LABEL}/${name}-version`] || "latest" };
  };
  const fallback = PRIVILEGED_NAMESPACES.has(namespace) ? "privileged" : defaultEnforce;
  return { enforce: mode("enforce") ?? { level: fallback, version: "latest" }, warn: mode("warn"), audit: mode("audit") };
}

function defaultEnforce(ctx: WriteContext): Level {
  return levelOf(ctx.env.POD_SECURITY_DEFAULT_ENFORCE) ?? DEFAULT_ENFORCE;
}

async function namespacePolicy(ctx: WriteContext, namespace: string): Promise<NamespacePolicy> {
  const ns = await cachedNamespace(ctx.store, namespace);
  return podSecurityPolicyOf(namespace, ns?.value.metadata.labels ?? {}, defaultEnforce(ctx));
}

const label = (mode: Mode) => `${mode.level}:${mode.version}`;

/** A Pod: refused when it violates the enforce level; warned about for the warn level. */
export async function admitPod(ctx: WriteContext, pod: KubeObject): Promise<void> {
  const policy = await namespacePolicy(ctx, pod.metadata.namespace ?? "default");
  const enforced = violations(policy.enforce.level, pod.spec);
  if (enforced.length > 0) {
    const name = pod.metadata.name ?? "";
    throw new StatusError(403, "Forbidden", `pods "${name}" is forbidden: violates PodSecurity "${label(policy.enforce)}": ${describeViolations(enforced)}`, { name, kind: "pods" });
  }
  if (policy.warn) {
    const warned = violations(policy.warn.level, pod.spec);
    if (warned.length > 0) ctx.warnings.push(`would violate PodSecurity "${label(policy.warn)}": ${describeViolations(warned)}`);
  }
}

/** A workload's pod template: never refused (its pods are), warned about for enforce and warn. */
export async function admitPodTemplate(ctx: WriteContext, workload: KubeObject): Promise<void> {
  const template = asRecord(asRecord(workload.spec)?.template);
  if (!template) return;
  const policy = await namespacePolicy(ctx, workload.metadata.namespace ?? "default");
  const seen = new Set<string>();
  for (const mode of [policy.enforce, policy.warn]) {
    if (!mode || seen.has(label(mode))) continue;
    seen.add(label(mode));
    const found = violations(mode.level, template.spec);
    if (found.length > 0) ctx.warnings.push(`would violate PodSecurity "${label(mode)}": ${describeViolations(found)}`);
  }
}
