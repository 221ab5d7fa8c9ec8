// The workload tests use the same store-less create/update driver as the other kinds'
// tests, plus bare objects for printRow checks.
import type { KubeObject } from "../../../worker/resources/types";

export { NOW, causesOf, create, manifest, update } from "./cluster-resources-harness";

/** A bare object for printRow tests (no strategy applied). */
export function obj(kind: string, body: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "v1", kind, metadata: { name: "x", creationTimestamp: "2024-12-31T23:00:00Z", ...metadata }, ...body };
}
