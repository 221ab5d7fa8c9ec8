// Env resolution and the command/args → Docker mapping of the node agent, as tables.
import { describe, expect, it } from "vitest";
import { dockerCommand, resourceLimits } from "../../node-agent/kubelet/command";
import { parseQuantity } from "../../shared/quantity";
import { expand, referencedObjects, resolveEnv, type EnvContext } from "../../node-agent/kubelet/env";
import type { Container, Pod } from "../../node-agent/kubelet/types";

const pod: Pod = { metadata: { name: "web", namespace: "shop", uid: "u-1", labels: { app: "web" } }, spec: { nodeName: "n1", containers: [] } };
const b64 = (s: string) => Buffer.from(s).toString("base64");

function ctx(): EnvContext {
  return {
    pod,
    podIP: "10.0.0.5",
    hostIP: "192.0.2.1",
    nodeName: "n1",
    configMaps: new Map([["cfg", { metadata: { name: "cfg" }, data: { a: "1", "bad key": "x" } }]]),
    secrets: new Map([["sec", { metadata: { name: "sec" }, data: { pw: b64("s3cret") } }]]),
  };
}

describe("expand", () => {
  it.each([
    ["$(A)-x", "1-x"],
    ["$$(A)", "$(A)"],
    ["$(NOPE)", "$(NOPE)"],
    ["$(A", "$(A"],
    ["a$b", "a$b"],
  ])("%s → %s", (input, out) => {
    expect(expand(input, (n) => (n === "A" ? "1" : undefined))).toBe(out);
  });
});

describe("resolveEnv", () => {
  it("applies envFrom first, then env (later wins), with refs, fields and $(VAR)", () => {
    const container: Container = {
      name: "c",
      image: "i",
      envFrom: [{ configMapRef: { name: "cfg" }, prefix: "P_" }, { secretRef: { name: "sec" } }],
      env: [
        { name: "P_a", value: "override" },
        { name: "FROM_CM", valueFrom: { configMapKeyRef: { name: "cfg", key: "a" } } },
        { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "sec", key: "pw" } } },
        { name: "OPT", valueFrom: { secretKeyRef: { name: "absent", key: "k", optional: true } } },
        { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: "URL", value: "http://$(IP):80/$(NAME)" },
      ],
    };
    const out = resolveEnv(container, ctx());
    expect(out.error).toBeUndefined();
    expect(Object.fromEntries(out.env.map((e) => [e.name, e.value]))).toEqual({
      P_a: "override",
      pw: "s3cret",
      FROM_CM: "1",
      FROM_SECRET: "s3cret",
      NAME: "web",
      NS: "shop",
      UID: "u-1",
      IP: "10.0.0.5",
      HOST: "192.0.2.1",
      NODE: "n1",
      APP: "web",
      URL: "http://10.0.0.5:80/web",
    });
  });

  it.each([
    [{ name: "X", valueFrom: { configMapKeyRef: { name: "absent", key: "a" } } }, 'configmap "absent" not found'],
    [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "zz" } } }, "couldn't find key zz in ConfigMap shop/cfg"],
    [{ name: "X", valueFrom: { secretKeyRef: { name: "absent", key: "a" } } }, 'secret "absent" not found'],
  ])("a missing required reference is CreateContainerConfigError: %j", (variable, message) => {
    expect(resolveEnv({ name: "c", image: "i", env: [variable] }, ctx()).error).toBe(message);
  });

  it("an optional envFrom source may be absent; a required one may not", () => {
    expect(resolveEnv({ name: "c", image: "i", envFrom: [{ secretRef: { name: "absent", optional: true } }] }, ctx())).toEqual({ env: [] });
    expect(resolveEnv({ name: "c", image: "i", envFrom: [{ secretRef: { name: "absent" } }] }, ctx()).error).toBe('secret "absent" not found');
  });

  it("lists the objects a pod refers to", () => {
    const p: Pod = {
      metadata: { name: "p" },
      spec: {
        containers: [{ name: "c", image: "i", envFrom: [{ configMapRef: { name: "a" } }], env: [{ name: "x", valueFrom: { secretKeyRef: { name: "s1", key: "k" } } }] }],
        volumes: [{ name: "v", configMap: { name: "b" } }, { name: "w", secret: { secretName: "s2" } }],
        imagePullSecrets: [{ name: "reg" }],
      },
    };
    const refs = referencedObjects(p);
    expect([...refs.configMaps].sort()).toEqual(["a", "b"]);
    expect([...refs.secrets].sort()).toEqual(["reg", "s1", "s2"]);
  });
});

describe("dockerCommand", () => {
  const env = [{ name: "WHO", value: "you" }];
  it.each([
    [{}, {}],
    [{ args: ["a", "$(WHO)"] }, { cmd: ["a", "you"] }],
    [{ command: ["sh"] }, { entrypoint: ["sh"], cmd: [] }],
    [{ command: ["sh", "-c"], args: ["echo $(WHO)"] }, { entrypoint: ["sh", "-c"], cmd: ["echo you"] }],
  ])("%j → %j", (spec, out) => {
    expect(dockerCommand({ name: "c", image: "i", ...spec }, env)).toEqual(out);
  });
});

describe("quantities and limits", () => {
  it.each([
    ["128Mi", 134217728],
    ["1G", 1e9],
    ["500m", 0.5],
    ["2", 2],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["1e3", 1000],
    ["bad", undefined],
  ])("%s → %s", (q, n) => {
    expect(parseQuantity(q)).toBe(n);
  });
  it("maps limits to Docker Memory and NanoCpus", () => {
    expect(resourceLimits({ name: "c", image: "i", resources: { limits: { memory: "64Mi", cpu: "250m" } } })).toEqual({ memoryBytes: 67108864, nanoCpus: 250_000_000 });
    expect(resourceLimits({ name: "c", image: "i" })).toEqual({ memoryBytes: undefined, nanoCpus: undefined });
  });
});
