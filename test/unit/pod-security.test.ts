// The Pod Security Standards' checks and the namespace policy, table by table.
import { describe, expect, it } from "vitest";
import { describeViolations, violations } from "../../worker/api/pod-security/checks";
import { podSecurityPolicyOf } from "../../worker/api/pod-security/admission";

const c = (securityContext: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ name: "c", image: "busybox", securityContext, ...extra });
const RESTRICTED_CONTAINER = c({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
const RESTRICTED_POD = { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [RESTRICTED_CONTAINER] };

describe("Pod Security checks", () => {
  it.each([
    ["hostPID", { hostPID: true, containers: [c()] }, "host namespaces (hostPID=true)"],
    ["privileged init container", { initContainers: [c({ privileged: true })], containers: [c()] }, 'privileged (container "c" must not set securityContext.privileged=true)'],
    ["NET_ADMIN", { containers: [c({ capabilities: { add: ["NET_ADMIN", "CHOWN"] } })] }, 'non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add)'],
    ["hostPort", { containers: [c({}, { ports: [{ containerPort: 80, hostPort: 8080 }] })] }, 'hostPort (container "c" uses hostPort 8080)'],
    ["two hostPath volumes", { containers: [c()], volumes: [{ name: "a", hostPath: { path: "/a" } }, { name: "b", hostPath: { path: "/b" } }] }, 'hostPath volumes (volumes "a", "b")'],
    ["unconfined seccomp", { securityContext: { seccompProfile: { type: "Unconfined" } }, containers: [c()] }, 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
    ["unsafe sysctl", { securityContext: { sysctls: [{ name: "kernel.msgmax", value: "1" }] }, containers: [c()] }, "forbidden sysctls (kernel.msgmax)"],
  ])("baseline refuses %s", (_name, spec, expected) => {
    expect(describeViolations(violations("baseline", spec))).toBe(expected);
    expect(violations("privileged", spec)).toEqual([]);
  });

  it("baseline admits an ordinary pod, with the default capabilities and safe sysctls", () => {
    expect(violations("baseline", { containers: [c({ capabilities: { add: ["CHOWN", "NET_BIND_SERVICE"] } })], securityContext: { sysctls: [{ name: "net.ipv4.ip_local_port_range", value: "1 2" }] } })).toEqual([]);
  });

  it("restricted admits a hardened pod and lists everything an ordinary one lacks", () => {
    expect(violations("restricted", RESTRICTED_POD)).toEqual([]);
    expect(violations("restricted", { containers: [c()] }).map((v) => v.reason)).toEqual(["allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsNonRoot != true", "seccompProfile"]);
    expect(describeViolations(violations("restricted", { ...RESTRICTED_POD, securityContext: { ...RESTRICTED_POD.securityContext, runAsUser: 0 } }))).toBe("runAsUser=0 (pod must not set runAsUser=0)");
    expect(describeViolations(violations("restricted", { ...RESTRICTED_POD, volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }] }))).toContain('restricted volume types (volume "sock" uses restricted volume type "hostPath")');
    expect(violations("restricted", { ...RESTRICTED_POD, volumes: [{ name: "data", persistentVolumeClaim: { claimName: "x" } }, { name: "cfg", configMap: { name: "x" } }] })).toEqual([]);
  });
});

describe("namespace policy", () => {
  it("takes the labels, else the cluster default; kube-system is privileged", () => {
    expect(podSecurityPolicyOf("team", {}, "baseline").enforce).toEqual({ level: "baseline", version: "latest" });
    expect(podSecurityPolicyOf("kube-system", {}, "baseline").enforce.level).toBe("privileged");
    const labelled = podSecurityPolicyOf("team", { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.32", "pod-security.kubernetes.io/warn": "restricted" }, "baseline");
    expect(labelled).toMatchObject({ enforce: { level: "restricted", version: "v1.32" }, warn: { level: "restricted", version: "latest" } });
    expect(podSecurityPolicyOf("team", { "pod-security.kubernetes.io/enforce": "bogus" }, "privileged").enforce.level).toBe("privileged");
  });
});
