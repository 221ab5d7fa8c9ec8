// Helm releases, read from where helm keeps them: Secrets labelled owner=helm, one per revision,
// each holding the release as gzipped JSON (base64). The list and a release's page follow a watch
// of those Secrets; the page shows its history, values, notes and rendered manifest.
import { useEffect, useState } from "preact/hooks";
import { listThenWatch } from "./api";
import { Alert } from "./alert";

interface ReleaseSecret {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: { release?: string };
}

export interface Release {
  name: string;
  namespace: string;
  version: number;
  info?: { status?: string; last_deployed?: string; description?: string; notes?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  config?: Record<string, unknown>;
  manifest?: string;
}

/** Secret data is base64; helm's value in it is base64 again, of gzipped JSON. */
async function decodeRelease(secret: ReleaseSecret): Promise<Release | undefined> {
  const field = secret.data?.release;
  if (!field) return undefined;
  const gzipped = Uint8Array.from(atob(atob(field)), (c) => c.charCodeAt(0));
  const json = await new Response(new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  return JSON.parse(json) as Release;
}

/** Every revision of every release in `namespace` (all namespaces when empty), kept live. */
function useReleases(namespace: string, token: string): { releases: Release[]; loading: boolean; error?: string } {
  const [state, setState] = useState<{ releases: Release[]; loading: boolean; error?: string }>({ releases: [], loading: true });
  useEffect(() => {
    const abort = new AbortController();
    const base = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets` : "/api/v1/secrets";
    const byUid = new Map<string, Release>();
    const publish = () => setState({ releases: [...byUid.values()], loading: false });
    const take = async (secret: ReleaseSecret) => {
      const release = await decodeRelease(secret).catch(() => undefined);
      if (release) byUid.set(secret.metadata.uid, release);
    };
    void listThenWatch<{ metadata?: { resourceVersion?: string }; items: ReleaseSecret[] }>({
      path: `${base}?labelSelector=${encodeURIComponent("owner=helm")}`,
      token,
      accept: "application/json",
      signal: abort.signal,
      listed: async (list) => {
        byUid.clear();
        await Promise.all(list.items.map(take));
        publish();
      },
      // Decoding is asynchronous; listThenWatch applies changes in order.
      changed: async (event) => {
        const secret = event.object as ReleaseSecret;
        if (event.type === "DELETED") byUid.delete(secret.metadata.uid);
        else await take(secret);
        publish();
      },
      failed: (error) => setState((s) => (s.error === error ? s : { ...s, loading: false, error })),
    });
    return () => abort.abort();
  }, [namespace, token]);
  return state;
}

const chartOf = (r: Release) => `${r.chart?.metadata?.name ?? "?"}-${r.chart?.metadata?.version ?? "?"}`;

export function HelmReleases({ namespace, token }: { namespace: string; token: string }) {
  const { releases, loading, error } = useReleases(namespace, token);
  if (loading) return <p class="state">Loading Helm releases…</p>;
  // The newest revision of each release stands for it, as helm list shows them.
  const latest = new Map<string, Release>();
  for (const r of releases) {
    const key = `${r.namespace}/${r.name}`;
    if ((latest.get(key)?.version ?? 0) < r.version) latest.set(key, r);
  }
  const rows = [...latest.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return (
    <section aria-label="Helm releases">
      <Alert message={error} />
      {rows.length === 0 ? (
        <p class="state">No Helm releases {namespace ? `in ${namespace}` : "in any namespace"}.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Revision</th>
              <th scope="col">Status</th>
              <th scope="col">Chart</th>
              <th scope="col">App version</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.namespace}/${r.name}`} data-name={r.name}>
                <td>
                  <a href={`#/helm/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`}>{r.name}</a>
                </td>
                <td>{r.namespace}</td>
                <td>{r.version}</td>
                <td class={r.info?.status === "deployed" ? "ok" : r.info?.status === "failed" ? "bad" : "wait"}>{r.info?.status ?? ""}</td>
                <td>{chartOf(r)}</td>
                <td>{r.chart?.metadata?.appVersion ?? ""}</td>
                <td>{r.info?.last_deployed ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Values({ config }: { config: Record<string, unknown> | undefined }) {
  const [text, setText] = useState<string>();
  useEffect(() => {
    let current = true;
    void import("yaml").then(({ stringify }) => current && setText(config && Object.keys(config).length > 0 ? stringify(config) : "# no values beyond the chart's defaults\n"));
    return () => {
      current = false;
    };
  }, [config]);
  return <pre class="yaml" aria-label="Values" tabIndex={0}>{text ?? "…"}</pre>;
}

export function HelmRelease({ namespace, name, token }: { namespace: string; name: string; token: string }) {
  const { releases, loading, error } = useReleases(namespace, token);
  if (loading) return <p class="state">Loading {name}…</p>;
  const history = releases.filter((r) => r.name === name).sort((a, b) => b.version - a.version);
  const current = history[0];
  const back = `#/helm/${encodeURIComponent(namespace)}`;
  if (!current) {
    return (
      <p class="state">
        No release {name} in {namespace}. <a href={back}>Back to Helm releases</a>
      </p>
    );
  }
  return (
    <article aria-label={`Helm release ${name}`}>
      <p>
        <a href={back}>← Helm releases</a>
      </p>
      <Alert message={error} />
      <h3>History</h3>
      <table aria-label="History">
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Updated</th>
            <th scope="col">Status</th>
            <th scope="col">Chart</th>
            <th scope="col">App version</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {history.map((r) => (
            <tr key={r.version}>
              <td>{r.version}</td>
              <td>{r.info?.last_deployed ?? ""}</td>
              <td>{r.info?.status ?? ""}</td>
              <td>{chartOf(r)}</td>
              <td>{r.chart?.metadata?.appVersion ?? ""}</td>
              <td>{r.info?.description ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Values</h3>
      <Values config={current.config} />
      {current.info?.notes && (
        <>
          <h3>Notes</h3>
          <pre class="yaml" aria-label="Notes" tabIndex={0}>{current.info.notes}</pre>
        </>
      )}
      <h3>Manifest</h3>
      <pre class="yaml" aria-label="Manifest" tabIndex={0}>{current.manifest ?? ""}</pre>
    </article>
  );
}
