// Decoding real kubectl protobuf request bodies (captured from kubectl 1.32 `create …`) must give
// the object `kubectl create … --dry-run=client -o json` prints, modulo empty fields.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeKubernetesProtobuf, ProtobufDecodeError } from "../../worker/api/protobuf/decode";

const FIXTURES = join(import.meta.dirname, "fixtures/protobuf");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** Drops null, "", {} and [] recursively: Go's JSON prints some of them, the protobuf form lacks others. */
function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, pruneEmpty(v)] as const).filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null || value === "" ? undefined : value;
}

describe("decodeKubernetesProtobuf on kubectl captures", () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".pb") && existsSync(join(FIXTURES, f.replace(/\.pb$/, ".json"))));
  it("has the captures", () => expect(names.length).toBeGreaterThanOrEqual(15));
  for (const name of names) {
    it(`${name} equals kubectl's dry-run JSON`, () => {
      const expected = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\.pb$/, ".json")), "utf8")) as unknown;
      // status is dropped on create; Go's JSON prints its non-omitempty zero counters, protobuf decoding omits them.
      const { status: _ignored, ...decoded } = decodeKubernetesProtobuf(fixture(name));
      const { status: _alsoIgnored, ...printed } = expected as Record<string, unknown>;
      expect(pruneEmpty(decoded)).toEqual(pruneEmpty(printed));
    });
  }

  it("keeps the empty structs Go's JSON prints (spec: {}, status: {})", () => {
    expect(decodeKubernetesProtobuf(fixture("namespace.pb"))).toEqual({
      apiVersion: "v1", kind: "Namespace", metadata: { name: "x" }, spec: {}, status: {},
    });
  });

  it("decodes kubectl create token (TokenRequest with bound object, audiences, duration)", () => {
    expect(decodeKubernetesProtobuf(fixture("token-full.pb"))).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      metadata: {},
      spec: {
        audiences: ["a1", "a2"],
        boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p1", uid: "123e4567-e89b-12d3-a456-426614174000" },
        expirationSeconds: 3600,
      },
      status: {},
    });
    expect(decodeKubernetesProtobuf(fixture("token.pb")).spec).toEqual({});
  });

  it("keeps replicas and int-or-string ports of a deployment", () => {
    const d = decodeKubernetesProtobuf(fixture("deployment.pb")) as { spec: { replicas: number } };
    expect(d.spec.replicas).toBe(2);
    const svc = decodeKubernetesProtobuf(fixture("service-nodeport.pb")) as { spec: { ports: unknown[] } };
    expect(svc.spec.ports).toEqual([{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }]);
  });
});

describe("decodeKubernetesProtobuf errors", () => {
  const expectError = (bytes: Uint8Array, message: RegExp) => {
    expect(() => decodeKubernetesProtobuf(bytes)).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(bytes)).toThrow(message);
  };

  it("rejects a body without the k8s magic", () => {
    expectError(new TextEncoder().encode('{"kind":"Namespace"}'), /magic/);
    expectError(new Uint8Array([0x6b, 0x38]), /magic/);
  });

  it("rejects truncated data", () => {
    const whole = fixture("deployment.pb");
    for (const cut of [5, 20, 60, whole.length - 1]) expectError(whole.subarray(0, cut), /protobuf/);
  });

  it("rejects a kind it has no table for", () => {
    // k8s\0 + Unknown{1: TypeMeta{1: "batch/v1", 2: "Job"}}
    const typeMeta = [0x0a, 8, ...new TextEncoder().encode("batch/v1"), 0x12, 3, ...new TextEncoder().encode("Job")];
    expectError(new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, typeMeta.length, ...typeMeta]), /Job in batch\/v1 is not supported/);
  });
});
