// Hand-encoded bodies (protobufjs Writer) for the parts kubectl's create generators never send:
// inlined structs, Time/Quantity/IntOrString/FieldsV1, packed ints, pointers set to zero, unknown fields.
import { Writer } from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import { decodeKubernetesProtobuf } from "../../worker/api/protobuf/decode";
import { allMessages, fieldsOf } from "../../worker/api/protobuf/descriptor";

type Build = (w: Writer) => void;
const msg = (no: number, build: Build): Build => (w) => { w.uint32((no << 3) | 2).fork(); build(w); w.ldelim(); };
const str = (no: number, s: string): Build => (w) => { w.uint32((no << 3) | 2).string(s); };
const int = (no: number, n: number): Build => (w) => { w.uint32(no << 3).int64(n); };
const all = (...parts: Build[]): Build => (w) => parts.forEach((p) => p(w));
const entry = (no: number, k: string, v: Build): Build => msg(no, all(str(1, k), v));

function envelope(apiVersion: string, kind: string, object: Build): Uint8Array {
  const raw = Writer.create();
  object(raw);
  const w = Writer.create();
  msg(1, all(str(1, apiVersion), str(2, kind)))(w);
  w.uint32((2 << 3) | 2).bytes(raw.finish());
  str(4, "application/vnd.kubernetes.protobuf")(w);
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...w.finish()]);
}

describe("decodeKubernetesProtobuf special encodings", () => {
  it("decodes a Pod with inlined structs, probes, quantities, times and managed fields", () => {
    const metadata = msg(1, all(
      str(1, "p"), str(3, "default"), str(6, ""), int(7, 0),
      msg(8, all(int(1, 1700000000))),
      entry(11, "app", str(2, "x")),
      msg(17, all(str(1, "kubectl"), str(2, "Update"), str(3, "v1"), msg(4, int(1, 1700000001)), str(6, "FieldsV1"),
        msg(7, (w) => w.uint32(10).bytes(new TextEncoder().encode('{"f:metadata":{}}'))))),
      msg(99, str(1, "an unknown field is skipped")),
    ));
    const container = all(
      str(1, "c"), str(2, "nginx"), str(3, "sh"), str(3, "-c"),
      msg(7, all(str(1, "FROM_CM"), msg(3, msg(3, all(msg(1, str(1, "cm")), str(2, "k")))))),
      msg(8, all(entry(1, "cpu", msg(2, str(1, "500m"))), entry(2, "memory", msg(2, str(1, "64Mi"))))),
      msg(10, all(msg(1, msg(2, all(str(1, "/healthz"), msg(2, all(int(1, 1), str(3, "http")))))), int(2, 5))),
      msg(11, all(msg(1, msg(3, msg(1, all(int(1, 0), int(2, 8080))))))),
      msg(15, all(int(4, 0), int(5, 1))),
    );
    const spec = msg(2, all(
      msg(1, all(str(1, "conf"), msg(2, msg(19, all(msg(1, str(1, "cm")), int(3, 420)))))),
      msg(2, container),
      int(4, 0),
      msg(14, (w) => { w.uint32((4 << 3) | 2).fork().int64(1000).int64(2000).ldelim(); }),
      msg(22, all(str(1, "k"), str(2, "Exists"), str(4, "NoSchedule"))),
    ));
    const pod = decodeKubernetesProtobuf(envelope("v1", "Pod", all(metadata, spec)));
    expect(pod).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "p", namespace: "default", creationTimestamp: "2023-11-14T22:13:20Z", labels: { app: "x" },
        managedFields: [{
          manager: "kubectl", operation: "Update", apiVersion: "v1", time: "2023-11-14T22:13:21Z",
          fieldsType: "FieldsV1", fieldsV1: { "f:metadata": {} },
        }],
      },
      spec: {
        volumes: [{ name: "conf", configMap: { name: "cm", defaultMode: 420 } }],
        containers: [{
          name: "c", image: "nginx", command: ["sh", "-c"],
          env: [{ name: "FROM_CM", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }],
          resources: { limits: { cpu: "500m" }, requests: { memory: "64Mi" } },
          livenessProbe: { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 5 },
          readinessProbe: { tcpSocket: { port: 8080 } },
          securityContext: { runAsUser: 0, runAsNonRoot: true },
        }],
        terminationGracePeriodSeconds: 0,
        securityContext: { supplementalGroups: [1000, 2000] },
        tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule" }],
      },
    });
  });

  it("decodes DeleteOptions in any group version", () => {
    const body = envelope("apps/v1", "DeleteOptions", all(int(1, 0), msg(2, str(1, "uid-1")), str(4, "Foreground"), str(5, "All")));
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: "apps/v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid: "uid-1" },
      propagationPolicy: "Foreground", dryRun: ["All"],
    });
  });

  it("decodes a Scale and an Eviction", () => {
    expect(decodeKubernetesProtobuf(envelope("autoscaling/v1", "Scale", all(msg(1, str(1, "web")), msg(2, int(1, 0))))))
      .toEqual({ apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "web" }, spec: {} });
    expect(decodeKubernetesProtobuf(envelope("policy/v1", "Eviction", all(msg(1, str(1, "p")), msg(2, int(1, 30))))))
      .toEqual({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p" }, deleteOptions: { gracePeriodSeconds: 30 } });
  });

  it("has a table entry for every message the table references", () => {
    const special = new Set(["string", "bytes", "int32", "int64", "bool", "double", "Time", "MicroTime", "Quantity", "IntOrString", "FieldsV1"]);
    const known = new Set(allMessages());
    for (const m of allMessages()) {
      for (const f of fieldsOf(m)?.values() ?? []) {
        const t = f.mapValue ?? f.type;
        expect(special.has(t) || known.has(t), `${m}.${f.name}: ${t}`).toBe(true);
      }
    }
  });
});
