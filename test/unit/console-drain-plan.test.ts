// The console's drain follows kubectl drain's filters (drain/filters.go) where the server serves no
// Eviction API: DaemonSet and mirror pods stay, emptyDir data and pods no controller brings back
// need the user's consent (--delete-emptydir-data, --force), finished pods go.
import { describe, expect, it } from "vitest";
import { planDrain } from "../../web/src/node-drain";

const owned = (kind: string) => ({ ownerReferences: [{ apiVersion: "apps/v1", kind, name: "x", uid: "u", controller: true }] });
const pods = [
  { metadata: { name: "web", ...owned("ReplicaSet") } },
  { metadata: { name: "agent", ...owned("DaemonSet") } },
  { metadata: { name: "static", annotations: { "kubernetes.io/config.mirror": "h" } } },
  { metadata: { name: "scratch", ...owned("ReplicaSet") }, spec: { volumes: [{ emptyDir: {} }] } },
  { metadata: { name: "bare" } },
  { metadata: { name: "done" }, status: { phase: "Succeeded" } },
];
const names = (list: { metadata: { name: string } }[]) => list.map((p) => p.metadata.name);

describe("planDrain", () => {
  it("refuses emptyDir data and unmanaged pods without consent, and deletes nothing else it must keep", () => {
    const plan = planDrain(pods, { emptyDirData: false, unmanaged: false });
    expect(names(plan.remove)).toEqual(["web", "done"]);
    expect(plan.skipped.map((s) => `${s.pod.metadata.name}:${s.why}`)).toEqual(["agent:DaemonSet", "static:mirror"]);
    expect(plan.refused.map((r) => `${r.pod.metadata.name}:${r.why}`)).toEqual(["scratch:emptyDir data", "bare:no controller"]);
  });

  it("deletes them with consent, each kind of consent for its own pods", () => {
    expect(names(planDrain(pods, { emptyDirData: true, unmanaged: false }).remove)).toEqual(["web", "scratch", "done"]);
    expect(names(planDrain(pods, { emptyDirData: true, unmanaged: true }).remove)).toEqual(["web", "scratch", "bare", "done"]);
  });
});
