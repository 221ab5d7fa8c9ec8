// The logs of all a workload's pods at once, as stern or kubectl logs -l --prefix give them: one
// followed stream per pod (with timestamps, over a WebSocket, so every pod is followed however few
// HTTP/1.1 connections the browser allows), merged in timestamp order, each line prefixed by its
// pod's name. Pods join as the selector's watch sees them start; the kept lines are bounded and
// chunks are shown at most every FLUSH_MS.
import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError, followLog, listThenWatch } from "./api";
import { messageOf, type KubeObject } from "./kube-object";
import { selectorQuery, type LabelSelector } from "./label-selector";
import { Alert } from "./alert";
import "./object-parts.css";

const TAIL_LINES = 100;
const MAX_LINES = 5_000;
const FLUSH_MS = 100;
const RETRY_MS = 2_000;
/** Streams followed at once, as stern's --max-log-requests: each holds a node's `docker logs -f`. */
const MAX_STREAMS = 50;
/** kubectl's default container when a pod names one (kubectl logs does the same). */
const DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";
/** Pod-name colours (object-actions.css): a pod keeps its colour for the page's life. */
const COLOURS = 6;
/** Scrolled within this of the end, the view follows new lines; scrolled up, it stays put. */
const STICK_PX = 24;

interface Pod {
  metadata: { name: string; uid?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: { containers?: { name: string }[] };
  status?: { phase?: string };
}

export interface Line {
  /** Its timestamp with nanoseconds written out: lines sort by it as strings. */
  key: string;
  pod: string;
  /** Its pod's colour (object-actions.css `pod-cN`). */
  colour: number;
  text: string;
  seq: number;
}

/** `2024-05-01T10:00:00.5Z` → `2024-05-01T10:00:00.500000000Z`: fractions of any length compare. */
export function sortKey(timestamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  if (m) return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}Z`;
  const ms = Date.parse(timestamp); // an offset other than Z: milliseconds are what is left
  return Number.isNaN(ms) ? timestamp : new Date(ms).toISOString().replace("Z", "000000Z").replace(/(\.\d{9})\d*Z$/, "$1Z");
}

/** Two runs sorted by key, merged; the newest `max` kept. */
export function mergeLines(kept: Line[], added: Line[], max: number): Line[] {
  const sorted = [...added].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq));
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < sorted.length) {
    if (j >= sorted.length || (i < kept.length && kept[i]!.key <= sorted[j]!.key)) out.push(kept[i++]!);
    else out.push(sorted[j++]!);
  }
  return out.length > max ? out.slice(out.length - max) : out;
}

function containerOf(pod: Pod): string {
  return pod.metadata.annotations?.[DEFAULT_CONTAINER] ?? pod.spec?.containers?.[0]?.name ?? "";
}

export function WorkloadLogs({ object, token }: { object: KubeObject; token: string }) {
  const meta = object.metadata;
  const selector = selectorQuery((object.spec as { selector?: LabelSelector } | undefined)?.selector);
  const [lines, setLines] = useState<Line[]>([]);
  const [following, setFollowing] = useState<{ streams: string[]; pods: number }>({ streams: [], pods: 0 });
  const [error, setError] = useState<string>();
  const view = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    if (atEnd.current && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [lines]);
  useEffect(() => {
    const abort = new AbortController();
    const ns = encodeURIComponent(meta.namespace ?? "");
    const pods = new Map<string, Pod>();
    const streams = new Map<string, AbortController>();
    /** Per pod, the newest line's key: a stream opened again skips what was already shown. */
    const seen = new Map<string, string>();
    const colours = new Map<string, number>();
    let pending: Line[] = [];
    let seq = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const added = pending;
      pending = [];
      setLines((kept) => mergeLines(kept, added, MAX_LINES));
    };
    const publish = () => setFollowing({ streams: [...streams.keys()].sort(), pods: pods.size });
    const follow = async (name: string, stop: AbortSignal) => {
      let partial = "";
      const take = (chunk: string) => {
        partial += chunk;
        let newline: number;
        while ((newline = partial.indexOf("\n")) >= 0) {
          const raw = partial.slice(0, newline);
          partial = partial.slice(newline + 1);
          const space = raw.indexOf(" ");
          const key = sortKey(space > 0 ? raw.slice(0, space) : raw);
          if ((seen.get(name) ?? "") >= key) continue;
          seen.set(name, key);
          pending.push({ key, pod: name, colour: colours.get(name) ?? 0, text: space > 0 ? raw.slice(space + 1) : "", seq: seq++ });
        }
        timer ??= setTimeout(flush, FLUSH_MS);
      };
      while (!stop.aborted) {
        const pod = pods.get(name);
        if (!pod || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") break;
        const query = new URLSearchParams({ container: containerOf(pod), follow: "true", timestamps: "true", tailLines: String(TAIL_LINES) });
        try {
          await followLog(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/log?${query}`, token, stop, take);
          if (stop.aborted) break;
        } catch (e) {
          if (stop.aborted) break;
          // A container still starting answers 400: wait for it; anything else is shown.
          if (!(e instanceof ApiError && e.code === 400)) setError(`${name}: ${messageOf(e)}`);
        }
        // The stream ended (the container restarted, the connection dropped): open it again.
        await new Promise<void>((r) => {
          const timer = setTimeout(r, RETRY_MS);
          stop.addEventListener("abort", () => (clearTimeout(timer), r()), { once: true });
        });
      }
    };
    /** Follows every running pod the selector matches. */
    const reconcile = () => {
      for (const [name, stop] of streams) {
        if (!pods.has(name)) {
          stop.abort();
          streams.delete(name);
        }
      }
      for (const [name, pod] of [...pods].sort(([a], [b]) => a.localeCompare(b))) {
        if (streams.size >= MAX_STREAMS) break;
        if (streams.has(name) || pod.metadata.deletionTimestamp || pod.status?.phase === "Pending") continue;
        const stop = new AbortController();
        streams.set(name, stop);
        if (!colours.has(name)) colours.set(name, colours.size % COLOURS);
        void follow(name, stop.signal).finally(() => {
          if (streams.get(name) === stop) streams.delete(name);
          if (!abort.signal.aborted) publish();
        });
      }
      publish();
    };
    void listThenWatch<{ metadata?: { resourceVersion?: string }; items: Pod[] }>({
      path: `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
      token,
      accept: "application/json",
      signal: abort.signal,
      listed: (list) => {
        pods.clear();
        for (const pod of list.items) pods.set(pod.metadata.name, pod);
        reconcile();
      },
      changed: (event) => {
        const pod = event.object as Pod;
        if (event.type === "DELETED") pods.delete(pod.metadata.name);
        else pods.set(pod.metadata.name, pod);
        reconcile();
      },
      failed: (message) => setError(message),
    });
    return () => {
      abort.abort();
      for (const stop of streams.values()) stop.abort();
      if (timer) clearTimeout(timer);
    };
  }, [meta.namespace, selector, token]);
  return (
    <section aria-label="Logs of all pods">
      <p class="state" role="status">
        {following.streams.length === 0
          ? `No running pod to follow (${following.pods} selected).`
          : `Following ${following.streams.length} of ${following.pods} pods${following.streams.length < following.pods ? (following.streams.length >= MAX_STREAMS ? ` (at most ${MAX_STREAMS} at once)` : " (the others when they start)") : ""}.`}
      </p>
      <Alert message={error} />
      <pre
        class="log workload-log"
        aria-label="Merged log output"
        tabIndex={0}
        ref={view}
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
        }}
      >
        {lines.map((l) => (
          <Fragment key={l.seq}>
            <span class={`pod-name pod-c${l.colour}`}>{l.pod}</span> {l.text}
            {"\n"}
          </Fragment>
        ))}
      </pre>
    </section>
  );
}
