// Label and field selectors, parsed and matched as apimachinery's labels.Parse and
// fields.ParseSelector do, with their error messages (kubectl shows them verbatim).
import { asArray, asRecord, records } from "./json";
import { badRequest } from "./status-error";

export type LabelOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** `null` matches nothing (a nil selector upstream); `[]` matches everything. */
export type LabelSelector = LabelRequirement[] | null;

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

export type FieldSelector = FieldRequirement[];

const LABEL_NAME_MAX_LENGTH = 63;
const LABEL_VALUE_MAX_LENGTH = 63;
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const LABEL_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_NAME_RE = new RegExp(`^${LABEL_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${LABEL_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

function regexError(msg: string, re: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${re}')`;
}

const NAME_PART_MSG = regexError(
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  LABEL_NAME_FMT,
  "MyName",
  "my.name",
  "123-abc",
);

/** content.IsLabelKey: `[prefix/]name`, prefix a DNS-1123 subdomain, name ≤ 63 chars. */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? "";
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    name = parts[1] ?? "";
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else {
      if (prefix.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} bytes`);
      if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
        errs.push(
          "prefix part " +
            regexError(
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
              DNS1123_SUBDOMAIN_FMT,
              "example.com",
            ),
        );
      }
    }
  } else {
    return [`a valid label key ${NAME_PART_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > LABEL_NAME_MAX_LENGTH) errs.push(`name part must be no more than ${LABEL_NAME_MAX_LENGTH} bytes`);
  if (!LABEL_NAME_RE.test(name)) errs.push(`name part ${NAME_PART_MSG}`);
  return errs;
}

/** validation.IsValidLabelValue. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(`must be no more than ${LABEL_VALUE_MAX_LENGTH} bytes`);
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return errs;
}

/** field.Invalid(...).Error(): `<path>: Invalid value: <json>: <detail>`. */
function invalidValue(path: string, value: unknown, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

/** utilerrors.Aggregate's message: one error bare, several as `[a, b]`. */
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? (unique[0] ?? "") : `[${unique.join(", ")}]`;
}

type TokenKind = "id" | "end" | ")" | "," | "!" | "==" | "=" | ">" | "in" | "<" | "!=" | "notin" | "(" | "error";
interface Token {
  kind: TokenKind;
  text: string;
}

const SYMBOLS = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const SYMBOL_TOKENS: Record<string, TokenKind> = { ")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "<": "<", "!=": "!=", "(": "(" };
const isSpace = (ch: string): boolean => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";

/** The lexer of labels.Parse, byte for byte (keywords `in`/`notin`, longest-match symbols). */
function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isSpace(text[pos] ?? "")) pos++;
    if (pos >= text.length) {
      tokens.push({ kind: "end", text: "" });
      return tokens;
    }
    const ch = text[pos] ?? "";
    if (SYMBOLS.has(ch)) {
      let buffer = "";
      let last: Token | undefined;
      while (pos < text.length && SYMBOLS.has(text[pos] ?? "")) {
        buffer += text[pos];
        const kind = SYMBOL_TOKENS[buffer];
        if (kind) last = { kind, text: buffer };
        else if (last) break;
        pos++;
      }
      tokens.push(last ?? { kind: "error", text: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let word = "";
    while (pos < text.length && !SYMBOLS.has(text[pos] ?? "") && !isSpace(text[pos] ?? "")) word += text[pos++];
    tokens.push({ kind: word === "in" ? "in" : word === "notin" ? "notin" : "id", text: word });
  }
}

class LabelParser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In value context `in`/`notin` are plain identifiers. */
  private peek(): Token {
    const t = this.tokens[this.position] ?? { kind: "end", text: "" };
    return t.kind === "in" || t.kind === "notin" ? { kind: "id", text: t.text } : t;
  }
  private next(valueContext = true): Token {
    const t = this.tokens[this.position++] ?? { kind: "end", text: "" };
    return valueContext && (t.kind === "in" || t.kind === "notin") ? { kind: "id", text: t.text } : t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "end") return reqs;
      if (t.kind !== "id" && t.kind !== "!") throw new Error(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (err) {
        throw new Error(`unable to parse requirement: ${(err as Error).message}`);
      }
      const after = this.next();
      if (after.kind === "end") return reqs;
      if (after.kind !== ",") throw new Error(`found '${after.text}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.kind !== "id" && t2.kind !== "!") throw new Error(`found '${t2.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    let negated = false;
    if (t.kind === "!") {
      negated = true;
      t = this.next();
    }
    if (t.kind !== "id") throw new Error(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length) throw new Error(invalidValue("<nil>", key, keyErrs.join("; ")));
    // upstream infers DoesNotExist for `!key` whatever follows; `!a=b` then fails at the `=`
    if (negated) return newRequirement(key, "!", []);
    const la = this.peek().kind;
    if (la === "end" || la === ",") return newRequirement(key, "exists", []);
    const t2 = this.next(false);
    const ops: Partial<Record<TokenKind, LabelOperator>> = { in: "in", "=": "=", "==": "==", ">": "gt", "<": "lt", notin: "notin", "!=": "!=" };
    const op = ops[t2.kind];
    if (!op) throw new Error(`found '${t2.text}', expected: in, notin, =, ==, !=, gt, lt`);
    return newRequirement(key, op, op === "in" || op === "notin" ? this.setValues() : this.exactValue());
  }

  private setValues(): string[] {
    const open = this.next();
    if (open.kind !== "(") throw new Error(`found '${open.text}' expected: '('`);
    const t = this.peek();
    if (t.kind === ")") {
      this.next();
      return [""];
    }
    if (t.kind !== "id" && t.kind !== ",") throw new Error(`found '${t.text}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const v = this.next();
      if (v.kind === "id") {
        values.add(v.text);
        const t2 = this.peek();
        if (t2.kind === ",") continue;
        if (t2.kind === ")") break;
        throw new Error(`found '${t2.text}', expected: ',' or ')'`);
      } else if (v.kind === ",") {
        if (values.size === 0) values.add("");
        const t2 = this.peek();
        if (t2.kind === ")") {
          values.add("");
          break;
        }
        if (t2.kind === ",") values.add("");
      } else {
        throw new Error(`found '${v.text}', expected: ',', or identifier`);
      }
    }
    const close = this.next();
    if (close.kind !== ")") throw new Error(`found '${t.text}', expected: ')'`);
    return [...values].sort();
  }

  private exactValue(): string[] {
    const t = this.peek();
    if (t.kind === "end" || t.kind === ",") return [""];
    const v = this.next();
    if (v.kind === "id") return [v.text];
    throw new Error(`found '${v.text}', expected: identifier`);
  }
}

/** labels.NewRequirement's checks (one aggregated message). */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length) errs.push(invalidValue("key", key, keyErrs.join("; ")));
  if (operator === "gt" || operator === "lt") {
    values.forEach((v, i) => {
      if (!/^[+-]?\d+$/.test(v)) errs.push(invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
    });
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalidValue(`values[${i}][${key}]`, v, valueErrs.join("; ")));
  });
  if (errs.length) throw new Error(aggregate(errs));
  return { key, operator, values };
}

/** Parses `labelSelector=` text; bad input → 400 with labels.Parse's message. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  try {
    const reqs = new LabelParser(lex(text)).parse();
    return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function matchRequirement(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case "in":
    case "=":
    case "==":
      return value !== undefined && req.values.includes(value);
    case "notin":
    case "!=":
      return value === undefined || !req.values.includes(value);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (value === undefined || !/^[+-]?\d+$/.test(value)) return false;
      const a = BigInt(value);
      const b = BigInt(req.values[0] ?? "0");
      return req.operator === "gt" ? a > b : a < b;
    }
  }
}

export function matchLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  if (selector === null) return false;
  const set = labels ?? {};
  return selector.every((r) => matchRequirement(r, set));
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/**
 * metav1.LabelSelectorAsSelector: null/undefined → Nothing, `{}` → Everything.
 * Invalid specs throw badRequest (callers validate objects beforehand).
 */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  if (spec === null || spec === undefined) return null;
  const reqs: LabelRequirement[] = [];
  try {
    for (const [key, value] of Object.entries(spec.matchLabels ?? {})) reqs.push(newRequirement(key, "=", [value]));
    for (const expr of spec.matchExpressions ?? []) {
      const values = expr.values ?? [];
      switch (expr.operator) {
        case "In":
        case "NotIn":
          if (values.length === 0) throw new Error(invalidValue("values", values, "for 'in', 'notin' operators, values set can't be empty"));
          reqs.push(newRequirement(expr.key, expr.operator === "In" ? "in" : "notin", [...values]));
          break;
        case "Exists":
        case "DoesNotExist":
          if (values.length) throw new Error(invalidValue("values", values, "values set must be empty for exists and does not exist"));
          reqs.push(newRequirement(expr.key, expr.operator === "Exists" ? "exists" : "!", []));
          break;
        default:
          throw new Error(`"${expr.operator}" is not a valid label selector operator`);
      }
    }
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** fields.splitTerms: split on unescaped commas. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** fields.UnescapeValue: `\\`, `\,`, `\=` only; bare `,`/`=` are errors. */
function unescapeValue(text: string): string {
  if (!/[\\,=]/.test(text)) return text;
  let out = "";
  let inSlash = false;
  for (const c of text) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") throw new Error(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new Error("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Parses `fieldSelector=` text; bad input → 400 with fields.ParseSelector's message. */
export function parseFieldSelector(text: string): FieldSelector {
  const terms = splitTerms(text).sort();
  const reqs: FieldSelector = [];
  try {
    for (const term of terms) {
      if (term === "") continue;
      const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
      if (!m) throw new Error(`invalid selector: '${text}'; can't understand '${term}'`);
      const [, field = "", op, rhs = ""] = m;
      reqs.push({ field, operator: op === "!=" ? "!=" : "=", value: unescapeValue(rhs) });
    }
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return reqs;
}

/** An object as field selectors read it (metav1.ObjectMeta's name and namespace). */
interface Named {
  metadata: { name?: string; namespace?: string };
}

/** The fields a kind can select on beyond name and namespace (a ResourceDef's selectableFields). */
interface FieldDef<T extends Named> {
  selectableFields?: Record<string, (obj: T) => string | undefined>;
}

function fieldGetter<T extends Named>(field: string, def: FieldDef<T>): ((obj: T) => string | undefined) | undefined {
  if (field === "metadata.name") return (obj) => obj.metadata.name ?? "";
  if (field === "metadata.namespace") return (obj) => obj.metadata.namespace ?? "";
  return def.selectableFields?.[field];
}

/** Rejects fields the kind cannot select on, before any read (kube: ConvertFieldLabel). */
export function validateFieldSelector<T extends Named>(selector: FieldSelector, def: FieldDef<T>): void {
  for (const req of selector) {
    if (!fieldGetter(req.field, def)) throw badRequest(`field label not supported: ${req.field}`);
  }
}

export function matchFields<T extends Named>(selector: FieldSelector, obj: T, def: FieldDef<T>): boolean {
  for (const req of selector) {
    const get = fieldGetter(req.field, def);
    if (!get) throw badRequest(`field label not supported: ${req.field}`);
    const value = get(obj) ?? "";
    if (req.operator === "=" ? value !== req.value : value === req.value) return false;
  }
  return true;
}

/** The value a selector requires for `field` exactly (`metadata.name=x`), if any. */
export function requiredFieldValue(selector: FieldSelector, field: string): string | undefined {
  return selector.find((r) => r.field === field && r.operator === "=")?.value;
}

/** LabelSelectorAsSelector(...).String(): requirements sorted by key, values sorted; "" when empty. */
export function selectorString(selector: unknown): string {
  const s = asRecord(selector);
  if (!s) return "";
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(asRecord(s.matchLabels) ?? {})) reqs.push({ key: k, text: `${k}=${String(v)}` });
  for (const e of records(s.matchExpressions)) {
    const key = String(e.key ?? "");
    const values = [...new Set((asArray(e.values) ?? []).map(String))].sort().join(",");
    if (e.operator === "In") reqs.push({ key, text: `${key} in (${values})` });
    else if (e.operator === "NotIn") reqs.push({ key, text: `${key} notin (${values})` });
    else if (e.operator === "Exists") reqs.push({ key, text: key });
    else if (e.operator === "DoesNotExist") reqs.push({ key, text: `!${key}` });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(",");
}

/** metav1.FormatLabelSelector: as selectorString, "<none>" when empty. */
export function formatLabelSelector(selector: unknown): string {
  return selectorString(selector) || "<none>";
}
