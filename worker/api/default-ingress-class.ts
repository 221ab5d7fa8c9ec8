// The DefaultIngressClass admission plugin: a new Ingress that names no class (neither
// spec.ingressClassName nor the legacy kubernetes.io/ingress.class annotation) gets the default
// IngressClass (the newest, when several are marked default, as upstream picks).
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";

const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export async function applyDefaultIngressClass(store: Store, ingress: KubeObject): Promise<void> {
  const spec = (ingress.spec ?? {}) as Record<string, unknown>;
  if (spec.ingressClassName !== undefined || ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION] !== undefined) return;
  const { items } = await store.list("networking.k8s.io", "ingressclasses");
  const defaults = items.map((item) => item.value).filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
  if (defaults.length === 0) return;
  defaults.sort((a, b) => String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? "")));
  ingress.spec = { ...spec, ingressClassName: defaults[0]!.metadata.name };
}
