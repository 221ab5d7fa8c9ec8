// resource.Quantity as a number, for the Worker (validation, scheduling) and the agent (container
// limits): a float is exact enough to compare storage sizes and CPU amounts.
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity's value, or undefined when it does not parse. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ""] ?? 1);
}

/** Quantity.String() for display: the value as given (numbers printed plainly). */
export function quantityString(q: unknown): string {
  if (typeof q === "number") return String(q);
  if (typeof q === "string" && q !== "") return q;
  return "0";
}

/** CPU in millicores, rounded up as resource.Quantity.MilliValue does; 0 when it does not parse. */
export function milliCpu(q: unknown): number {
  return Math.ceil((parseQuantity(q) ?? 0) * 1000 - 1e-9);
}
