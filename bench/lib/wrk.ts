// wrk (Debian's HTTP load tool) output read back: requests per second and the latency
// percentiles of `--latency`; a run with errors or non-2xx answers is refused, not averaged in.

export interface WrkResult {
  rps: number;
  /** Requests completed in the run. */
  requests: number;
  p50: number;
  p99: number;
}

/** wrk's latency figure in milliseconds ("512.00us", "1.23ms", "1.01s"). */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`wrk latency not understood: ${text}`);
  const value = Number(m[1]);
  return m[2] === "us" ? value / 1000 : m[2] === "s" ? value * 1000 : value;
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: string) => ms(new RegExp(`^\\s*${p}%\\s+(\\S+)`, "m").exec(out)?.[1] ?? "NaNms");
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) throw new Error(`wrk saw errors:\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps, requests, p50: pct("50"), p99: pct("99") };
}

