// The container's effective securityContext and kubelet's runAsNonRoot check.
import { describe, expect, it } from "vitest";
import { containerSecurity, runAsNonRootError } from "../../node-agent/kubelet/security-context";
import type { Container, Pod } from "../../node-agent/kubelet/types";

const pod = (spec: Partial<Pod["spec"]> = {}): Pod => ({ metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: { containers: [], ...spec } }) as Pod;
const container = (securityContext: Container["securityContext"] = {}): Container => ({ name: "c", image: "busybox", securityContext }) as Container;

describe("security context", () => {
  it("takes the pod's fields as defaults the container overrides", () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000, supplementalGroups: [4000, 3000], seccompProfile: { type: "Unconfined" } } });
    expect(containerSecurity(p, container())).toEqual({ user: "1000:2000", groupAdd: ["3000", "4000"], capAdd: [], capDrop: [], readOnlyRootfs: false, noNewPrivileges: false, seccompUnconfined: true, hostPID: false, hostIPC: false });
    const own = containerSecurity(p, container({ runAsUser: 5, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] }, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, seccompProfile: { type: "RuntimeDefault" } }));
    expect(own).toMatchObject({ user: "5:2000", capAdd: ["NET_BIND_SERVICE"], capDrop: ["ALL"], readOnlyRootfs: true, noNewPrivileges: true, seccompUnconfined: false });
    expect(containerSecurity(pod(), container({ runAsGroup: 7 }), "app:app").user).toBe("app:7");
    expect(containerSecurity(pod(), container({ privileged: true, allowPrivilegeEscalation: false })).noNewPrivileges).toBe(false);
    expect(containerSecurity(pod({ hostPID: true, hostIPC: true }), container())).toMatchObject({ hostPID: true, hostIPC: true });
  });

  it("refuses runAsNonRoot for uid 0 and for images that run as root or as a name", () => {
    expect(runAsNonRootError(pod(), container({ runAsNonRoot: true }), "")).toMatch(/^container has runAsNonRoot and image will run as root \(pod: "p_ns\(u1\)", container: c\)$/);
    expect(runAsNonRootError(pod(), container({ runAsNonRoot: true }), "0:0")).toMatch(/image will run as root/);
    expect(runAsNonRootError(pod(), container({ runAsNonRoot: true }), "nginx")).toMatch(/image has non-numeric user \(nginx\)/);
    expect(runAsNonRootError(pod(), container({ runAsNonRoot: true }), "101:101")).toBeUndefined();
    expect(runAsNonRootError(pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 } }), container(), "")).toMatch(/runAsUser breaks non-root policy/);
    expect(runAsNonRootError(pod({ securityContext: { runAsNonRoot: true } }), container({ runAsUser: 1000 }), "")).toBeUndefined();
    expect(runAsNonRootError(pod(), container(), "")).toBeUndefined();
  });
});
