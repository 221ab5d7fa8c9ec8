// The DefaultStorageClass admission plugin: a new claim that names no class gets the cluster's
// default one (the newest, when several are marked default, as upstream picks).
import { isDefaultClass } from "../resources/storage/storageclass";
import type { KubeObject } from "../resources/types";
import type { Store } from "../store/types";

const BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

export async function applyDefaultStorageClass(store: Store, claim: KubeObject): Promise<void> {
  const spec = (claim.spec ?? {}) as Record<string, unknown>;
  // An explicit "" asks for no class at all; only an absent field is defaulted.
  if (spec.storageClassName !== undefined || claim.metadata.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
  const { items } = await store.list("storage.k8s.io", "storageclasses");
  const defaults = items.map((item) => item.value).filter(isDefaultClass);
  if (defaults.length === 0) return;
  defaults.sort((a, b) => String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? "")));
  claim.spec = { ...spec, storageClassName: defaults[0]!.metadata.name };
}
