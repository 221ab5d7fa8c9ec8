// The Overview (issue 15): nodes with readiness and the requests placed on them, pods by phase, a
// chart of pods per node, rollouts in progress and recent Warning events. Every figure follows a
// watch (nothing polls), and each collection is kept as small summaries, so 10,000 pods stay cheap.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Alert } from "./alert";
import {
  age,
  formatBytes,
  formatCpu,
  newest,
  nodeStatusText,
  PHASES,
  podStats,
  summarizeDeployment,
  summarizeEvent,
  summarizeNode,
  summarizePod,
  summarizeStatefulSet,
  type NodeSummary,
  type PodStats,
  type Rollout,
  type Usage,
  type WarningEvent,
} from "./overview-model";
import { useWatchedMap, type Watched } from "./watched-map";
import "./overview.css";

/** More than this many nodes: the list shows the troubled ones first and links to the rest. */
const NODES_SHOWN = 50;
const CHART_NODES = 12;
const ROLLOUTS_SHOWN = 20;
const EVENTS_SHOWN = 10;
/** Event ages are redrawn this often; the data itself only changes by watch. */
const AGE_TICK_MS = 30_000;

const WARNING_SELECTOR = `fieldSelector=${encodeURIComponent("type=Warning")}`;

/** A namespaced collection in `namespace`, or across all when it is "". */
const collection = (base: string, namespace: string, plural: string) =>
  namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;

const objectLink = (kind: string, namespace: string, name: string) => `#/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class={`ov-card ov-card-${id}`} aria-labelledby={`ov-${id}`}>
      <h3 id={`ov-${id}`}>{title}</h3>
      {children}
    </section>
  );
}

/** Loading and failure of the collections a section draws on; true when there is nothing to draw yet. */
function Pending({ sources, what }: { sources: Watched<unknown>[]; what: string }) {
  const errors = [...new Set(sources.map((s) => s.error).filter((e): e is string => !!e))];
  const loading = sources.find((s) => s.loading);
  return (
    <>
      {errors.map((e) => (
        <Alert key={e} message={e} />
      ))}
      {loading && errors.length === 0 && (
        <p class="state" role="status">
          Loading {what}…{loading.loaded > 0 ? ` ${loading.loaded.toLocaleString()} so far` : ""}
        </p>
      )}
    </>
  );
}

/**
 * A bar with its figure in words beside it; the bar itself is decoration. A usage bar turns amber
 * near its total and red past it; a progress bar shows `done` of `used` solid (available of updated).
 */
function Bar({ label, used, total, text, done }: { label: string; used: number; total: number; text: string; done?: number }) {
  const share = (n: number) => `${Math.min(100, total > 0 ? (n / total) * 100 : 0)}%`;
  const ratio = total > 0 ? used / total : 0;
  const level = done !== undefined ? " partial" : ratio > 1 ? " over" : ratio >= 0.9 ? " high" : "";
  return (
    <div class="ov-bar">
      <span class="ov-bar-label">{label}</span>
      <span class="ov-track" aria-hidden="true">
        <span class={`ov-fill${level}`} style={{ width: share(used) }} />
        {done !== undefined && <span class="ov-fill ov-done" style={{ width: share(done) }} />}
      </span>
      <span class="ov-bar-text">
        {text}
        {total > 0 && done === undefined ? ` (${Math.round(ratio * 100)}%)` : ""}
      </span>
    </div>
  );
}

function NodeItem({ node, placed, namespace }: { node: NodeSummary; placed: Usage | undefined; namespace: string }) {
  const used = placed ?? { cpu: 0, memory: 0, pods: 0 };
  const status = nodeStatusText(node);
  return (
    <li class="ov-node">
      <div class="ov-node-head">
        <a href={objectLink("nodes", namespace, node.name)}>{node.name}</a>
        <span class={`ov-status ${node.readiness === "Ready" && !node.unschedulable ? "ok" : node.readiness === "Ready" ? "wait" : "bad"}`}>{status}</span>
      </div>
      <Bar label="CPU" used={used.cpu} total={node.cpu} text={`${formatCpu(used.cpu)} of ${formatCpu(node.cpu)} requested`} />
      <Bar label="Memory" used={used.memory} total={node.memory} text={`${formatBytes(used.memory)} of ${formatBytes(node.memory)} requested`} />
      <Bar label="Pods" used={used.pods} total={node.pods} text={`${used.pods} of ${node.pods}`} />
    </li>
  );
}

function Nodes({ nodes, stats, namespace }: { nodes: Watched<NodeSummary>; stats: PodStats; namespace: string }) {
  const sorted = useMemo(
    () => [...nodes.items.values()].sort((a, b) => Number(b.readiness !== "Ready") - Number(a.readiness !== "Ready") || a.name.localeCompare(b.name)),
    [nodes.items, nodes.version],
  );
  const notReady = sorted.filter((n) => n.readiness !== "Ready").length;
  const all = `#/nodes/${encodeURIComponent(namespace)}`;
  return (
    <Section id="nodes" title="Nodes">
      <Pending sources={[nodes]} what="nodes" />
      {!nodes.loading &&
        (sorted.length === 0 ? (
          <p class="state">
            No node has joined yet. <a href={all}>Add a node</a>
          </p>
        ) : (
          <>
            <p class="ov-note">
              {sorted.length} {sorted.length === 1 ? "node" : "nodes"}: {sorted.length - notReady} Ready{notReady > 0 ? `, ${notReady} not Ready` : ""}. Requests are of
              the running and pending pods bound to each, in every namespace.
            </p>
            <ul class="ov-node-list">
              {sorted.slice(0, NODES_SHOWN).map((n) => (
                <NodeItem key={n.name} node={n} placed={stats.placed.get(n.name)} namespace={namespace} />
              ))}
            </ul>
            {sorted.length > NODES_SHOWN && (
              <p class="ov-note">
                And {sorted.length - NODES_SHOWN} more: <a href={all}>all nodes</a>
              </p>
            )}
          </>
        ))}
    </Section>
  );
}

function Phases({ pods, stats, namespace }: { pods: Watched<unknown>; stats: PodStats; namespace: string }) {
  const total = PHASES.reduce((sum, p) => sum + stats.phases[p], 0);
  return (
    <Section id="phases" title="Pods by phase">
      <Pending sources={[pods]} what="pods" />
      {!pods.loading &&
        (total === 0 ? (
          <p class="state">No pods {namespace ? `in ${namespace}` : "in any namespace"}.</p>
        ) : (
          <>
            <p class="ov-note">
              {total.toLocaleString()} {total === 1 ? "pod" : "pods"} {namespace ? `in ${namespace}` : "in all namespaces"}
            </p>
            <div class="ov-stack" aria-hidden="true">
              {PHASES.filter((p) => stats.phases[p] > 0).map((p) => (
                <span key={p} class={`ov-phase-${p}`} style={{ flexGrow: stats.phases[p] }} />
              ))}
            </div>
            <ul class="ov-phases">
              {PHASES.map((p) => (
                <li key={p}>
                  <span class={`ov-swatch ov-phase-${p}`} aria-hidden="true" />
                  {p} <strong>{stats.phases[p].toLocaleString()}</strong>
                </li>
              ))}
            </ul>
          </>
        ))}
    </Section>
  );
}

const ROW_PX = 30;

function PodsPerNode({ nodes, pods, stats, namespace }: { nodes: Watched<NodeSummary>; pods: Watched<unknown>; stats: PodStats; namespace: string }) {
  // Every node, those without pods too, and any node name pods are bound to that is gone.
  const rows = useMemo(() => {
    const counts = new Map<string, number>();
    for (const n of nodes.items.values()) counts.set(n.name, 0);
    for (const [name, count] of stats.perNode) counts.set(name, count);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }, [nodes.items, nodes.version, stats]);
  const shown = rows.slice(0, CHART_NODES);
  const max = Math.max(1, ...shown.map((r) => r[1]));
  const scope = namespace ? ` in ${namespace}` : "";
  const description = `Pods${scope} per node: ${shown.map(([name, count]) => `${name} ${count}`).join(", ")}`;
  return (
    <Section id="per-node" title="Pods per node">
      <Pending sources={[nodes, pods]} what="pods and nodes" />
      {!nodes.loading && !pods.loading && (
        <>
          {shown.length === 0 ? (
            <p class="state">No node to place pods on.</p>
          ) : (
            <svg class="ov-chart" role="img" aria-labelledby="ov-chart-title" width="100%" height={shown.length * ROW_PX}>
              <title id="ov-chart-title">{description}</title>
              {shown.map(([name, count], i) => (
                <g key={name} transform={`translate(0 ${i * ROW_PX})`}>
                  <text x="0" y="12">
                    {name} <tspan class="ov-chart-value">{count}</tspan>
                  </text>
                  <rect class="ov-chart-track" x="0" y="16" width="100%" height="8" rx="2" />
                  <rect class="ov-chart-bar" x="0" y="16" width={`${(count / max) * 100}%`} height="8" rx="2" />
                </g>
              ))}
            </svg>
          )}
          {rows.length > shown.length && <p class="ov-note">And {rows.length - shown.length} more nodes with fewer pods.</p>}
          {stats.unscheduled > 0 && (
            <p class="ov-note">
              {stats.unscheduled.toLocaleString()} {stats.unscheduled === 1 ? "pod waits" : "pods wait"}
              {scope} for a node.
            </p>
          )}
        </>
      )}
    </Section>
  );
}

function RolloutItem({ r, showNamespace }: { r: Rollout; showNamespace: boolean }) {
  const kindId = r.kind === "Deployment" ? "deployments.apps" : "statefulsets.apps";
  return (
    <li class="ov-rollout">
      <div class="ov-node-head">
        <a href={objectLink(kindId, r.namespace, r.name)}>{r.name}</a>
        <span class="ov-note">
          {r.kind}
          {showNamespace ? ` in ${r.namespace}` : ""}
        </span>
      </div>
      <Bar
        label="Progress"
        used={r.updated}
        done={Math.min(r.ready, r.updated)}
        total={Math.max(r.replicas, 1)}
        text={`${r.updated} of ${r.replicas} updated, ${r.ready} ${r.kind === "Deployment" ? "available" : "ready"}`}
      />
    </li>
  );
}

function Rollouts({ sources, namespace }: { sources: Watched<Rollout>[]; namespace: string }) {
  const [deployments, statefulSets] = sources;
  const active = useMemo(
    () =>
      sources
        .flatMap((s) => [...s.items.values()])
        .filter((r) => r.inProgress)
        .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    [deployments?.items, deployments?.version, statefulSets?.items, statefulSets?.version],
  );
  const loading = sources.some((s) => s.loading);
  return (
    <Section id="rollouts" title="Rollouts in progress">
      <Pending sources={sources} what="Deployments and StatefulSets" />
      {!loading &&
        (active.length === 0 ? (
          <p class="state">None: every Deployment and StatefulSet {namespace ? `in ${namespace} ` : ""}is up to date.</p>
        ) : (
          <>
            <ul class="ov-rollout-list">
              {active.slice(0, ROLLOUTS_SHOWN).map((r) => (
                <RolloutItem key={`${r.kind}/${r.namespace}/${r.name}`} r={r} showNamespace={!namespace} />
              ))}
            </ul>
            {active.length > ROLLOUTS_SHOWN && <p class="ov-note">And {active.length - ROLLOUTS_SHOWN} more.</p>}
          </>
        ))}
    </Section>
  );
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function Events({ events, namespace }: { events: Watched<WarningEvent>; namespace: string }) {
  const recent = useMemo(() => newest(events.items.values(), EVENTS_SHOWN), [events.items, events.version]);
  // A render for new data also takes a fresh time, so an age is never older than the tick.
  const now = Math.max(useNow(AGE_TICK_MS), Date.now());
  return (
    <Section id="events" title="Recent Warning events">
      <Pending sources={[events]} what="events" />
      {!events.loading &&
        (recent.length === 0 ? (
          <p class="state">No Warning events {namespace ? `in ${namespace}` : "in any namespace"}.</p>
        ) : (
          <ol class="ov-events">
            {recent.map((e, i) => (
              <li key={i}>
                <div class="ov-node-head">
                  <strong class="ov-reason">{e.reason || "Warning"}</strong>
                  <span class="ov-note">
                    <time dateTime={e.at ? new Date(e.at).toISOString() : undefined}>{age(e.at, now)} ago</time>
                    {e.count > 1 ? ` (${e.count}×)` : ""}
                  </span>
                </div>
                <div class="ov-object">
                  {namespace ? "" : e.namespace ? `${e.namespace}/` : ""}
                  {e.object}
                </div>
                <div class="ov-message">{e.message}</div>
              </li>
            ))}
          </ol>
        ))}
    </Section>
  );
}

export function Overview(props: { token: string; namespace: string }) {
  const { token, namespace } = props;
  const nodes = useWatchedMap("/api/v1/nodes", token, summarizeNode);
  // Pods of every namespace: a node's requests are those of all pods on it. Phases and the chart
  // count the namespace shown; switching it re-reads nothing.
  const pods = useWatchedMap("/api/v1/pods", token, summarizePod);
  const events = useWatchedMap(`${collection("/api/v1", namespace, "events")}?${WARNING_SELECTOR}`, token, summarizeEvent);
  const deployments = useWatchedMap(collection("/apis/apps/v1", namespace, "deployments"), token, summarizeDeployment);
  const statefulSets = useWatchedMap(collection("/apis/apps/v1", namespace, "statefulsets"), token, summarizeStatefulSet);
  const stats = useMemo(() => podStats(pods.items.values(), namespace), [pods.items, pods.version, namespace]);
  return (
    <div class="ov">
      <Nodes nodes={nodes} stats={stats} namespace={namespace} />
      <Phases pods={pods} stats={stats} namespace={namespace} />
      <PodsPerNode nodes={nodes} pods={pods} stats={stats} namespace={namespace} />
      <Rollouts sources={[deployments, statefulSets]} namespace={namespace} />
      <Events events={events} namespace={namespace} />
    </div>
  );
}
