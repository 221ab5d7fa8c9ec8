// Label and field selectors against apimachinery's behaviour and messages.
import { describe, expect, it } from "vitest";
import {
  labelSelectorFromSpec,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
  validateFieldSelector,
} from "../../shared/selectors";
import { StatusError } from "../../shared/status-error";
import type { KubeObject } from "../../worker/resources/types";

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("parseLabelSelector", () => {
  const labels = { app: "web", tier: "front", "example.com/team": "a" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["app=db", false],
    ["app in (db, web)", true],
    ["app notin (web)", false],
    ["app notin (db)", true],
    ["missing notin (db)", true],
    ["app", true],
    ["!app", false],
    ["!missing", true],
    [" app = web , tier in (front,back) ", true],
    ["example.com/team=a", true],
    ["app=web,!tier", false],
    ["tier in (front,,back)", true],
    ["in in (in)", false],
  ])("%j matches: %s", (text, expected) => {
    expect(matchLabels(parseLabelSelector(text), labels)).toBe(expected);
  });

  it("supports gt / lt on integer values", () => {
    expect(matchLabels(parseLabelSelector("n>3"), { n: "4" })).toBe(true);
    expect(matchLabels(parseLabelSelector("n<3"), { n: "4" })).toBe(false);
    expect(matchLabels(parseLabelSelector("n>3"), { n: "x" })).toBe(false);
  });

  it("sorts requirements by key as labels.Parse does", () => {
    expect(parseLabelSelector("b=1,a=2").map((r) => r.key)).toEqual(["a", "b"]);
  });

  it.each([
    ["app=web,", "found '', expected: identifier after ','"],
    ["app in web", "unable to parse requirement: found 'web' expected: '('"],
    ["app in (web", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["=web", "found '=', expected: !, identifier, or 'end of string'"],
    ["app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
    ["app=w@b", 'unable to parse requirement: values[0][app]: Invalid value: "w@b": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')'],
  ])("rejects %j", (text, message) => {
    const err = errorOf(() => parseLabelSelector(text));
    expect(err.code).toBe(400);
    expect(err.reason).toBe("BadRequest");
    if (!message.includes("(e.g.")) expect(err.message).toBe(message);
    else expect(err.message.startsWith(message.slice(0, 80))).toBe(true);
  });

  it("validates keys like content.IsLabelKey", () => {
    const err = errorOf(() => parseLabelSelector("-bad=x"));
    expect(err.message).toMatch(/^unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist of/);
    expect(errorOf(() => parseLabelSelector("Bad_Prefix/x=y")).message).toContain("prefix part a lowercase RFC 1123 subdomain");
    expect(errorOf(() => parseLabelSelector("a/b/c")).message).toContain("a valid label key must consist of");
    expect(errorOf(() => parseLabelSelector(`k=${"v".repeat(64)}`)).message).toContain("must be no more than 63 bytes");
    expect(errorOf(() => parseLabelSelector(`${"k".repeat(64)}`)).message).toContain("name part must be no more than 63 bytes");
  });

  it("matches the message text upstream prints for a bad value", () => {
    const err = errorOf(() => parseLabelSelector("app=w@b"));
    expect(err.message).toBe(
      `unable to parse requirement: values[0][app]: Invalid value: "w@b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  });
});

describe("labelSelectorFromSpec", () => {
  it("null matches nothing, empty matches everything", () => {
    expect(matchLabels(labelSelectorFromSpec(null), { a: "b" })).toBe(false);
    expect(matchLabels(labelSelectorFromSpec(undefined), {})).toBe(false);
    expect(matchLabels(labelSelectorFromSpec({}), { a: "b" })).toBe(true);
    expect(matchLabels(labelSelectorFromSpec({ matchLabels: {} }), {})).toBe(true);
  });

  it("combines matchLabels and matchExpressions", () => {
    const sel = labelSelectorFromSpec({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front", "back"] },
        { key: "canary", operator: "DoesNotExist" },
        { key: "env", operator: "NotIn", values: ["prod"] },
        { key: "app", operator: "Exists" },
      ],
    });
    expect(matchLabels(sel, { app: "web", tier: "front" })).toBe(true);
    expect(matchLabels(sel, { app: "web", tier: "front", canary: "1" })).toBe(false);
    expect(matchLabels(sel, { app: "web", tier: "front", env: "prod" })).toBe(false);
    expect(matchLabels(sel, { app: "db", tier: "front" })).toBe(false);
  });

  it("rejects bad operators and empty In", () => {
    expect(errorOf(() => labelSelectorFromSpec({ matchExpressions: [{ key: "a", operator: "Foo" }] })).message).toBe(
      '"Foo" is not a valid label selector operator',
    );
    expect(errorOf(() => labelSelectorFromSpec({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).message).toContain(
      "values set can't be empty",
    );
  });
});

describe("field selectors", () => {
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "default" },
    spec: { nodeName: "node-a" },
    status: { phase: "Running" },
  };
  const def = {
    selectableFields: {
      "spec.nodeName": (o: KubeObject) => (o.spec as { nodeName?: string }).nodeName,
      "status.phase": (o: KubeObject) => (o.status as { phase?: string }).phase,
    },
  };

  it.each([
    ["metadata.name=web-1", true],
    ["metadata.name==web-1", true],
    ["metadata.name!=web-1", false],
    ["metadata.namespace=default,spec.nodeName=node-a", true],
    ["spec.nodeName=", false],
    ["spec.nodeName!=,status.phase=Running", true],
    ["", true],
  ])("%j matches: %s", (text, expected) => {
    const sel = parseFieldSelector(text);
    validateFieldSelector(sel, def);
    expect(matchFields(sel, pod, def)).toBe(expected);
  });

  it("unescapes values", () => {
    expect(parseFieldSelector(String.raw`metadata.name=a\,b\=c\\d`)).toEqual([{ field: "metadata.name", operator: "=", value: "a,b=c\\d" }]);
  });

  it.each([
    ["metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    [String.raw`metadata.name=a\x`, String.raw`invalid field selector: invalid escape sequence: \x`],
    ["metadata.name=a=b", "invalid field selector: unescaped character in value: 61"],
    ["metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"],
  ])("rejects %j", (text, message) => {
    const err = errorOf(() => parseFieldSelector(text));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });

  it("rejects fields the kind does not support", () => {
    const sel = parseFieldSelector("spec.foo=bar");
    const err = errorOf(() => validateFieldSelector(sel, {}));
    expect(err.code).toBe(400);
    expect(err.message).toBe("field label not supported: spec.foo");
    expect(() => validateFieldSelector(parseFieldSelector("metadata.namespace=x"), {})).not.toThrow();
  });
});
