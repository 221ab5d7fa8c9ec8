// metav1.Time and metav1.MicroTime as kube-apiserver writes them: RFC 3339 in UTC, with second
// precision for Time and six fractional digits for MicroTime (Leases' renewTime, Events' eventTime).

/** metav1.Time: `2026-12-07T05:56:05Z`. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** metav1.MicroTime: `2026-12-07T05:56:05.123000Z` (JavaScript dates carry milliseconds). */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
