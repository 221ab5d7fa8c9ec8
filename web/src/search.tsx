// Search across every kind the API serves, by name or by label. A query with `=`, `!=`, `in (…)`
// or `!key` is a label selector and goes to the server as one (kubectl get -l); anything else
// matches names containing it. Lists are read as object metadata only, in pages, so a name search
// through 10,000 pods moves names, not pod specs.
import { useEffect, useState } from "preact/hooks";
import { apiGet, withQuery } from "./api";
import { collectionPath, kindId, type Kind } from "./discovery";
import { Alert } from "./alert";

const METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json";
const PAGE_SIZE = 500;
/** Shown per kind at most; a broader query should be narrowed, not scrolled. */
const MATCHES_PER_KIND = 50;

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

interface MetadataList {
  items: { metadata: Meta }[];
  metadata?: { continue?: string };
}

export interface Found {
  kind: Kind;
  matches: Meta[];
  /** More matched than are shown. */
  more: boolean;
}

/** Whether the query is a label selector rather than part of a name. */
export function isLabelQuery(query: string): boolean {
  return /[=!]|\s(in|notin)\s*\(/.test(query);
}

async function searchKind(kind: Kind, namespace: string | undefined, query: string, token: string, signal: AbortSignal): Promise<Found> {
  const byLabel = isLabelQuery(query);
  const needle = query.toLowerCase();
  const matches: Meta[] = [];
  let next = "";
  do {
    let path = withQuery(collectionPath(kind, namespace), `limit=${PAGE_SIZE}`);
    if (byLabel) path = withQuery(path, `labelSelector=${encodeURIComponent(query)}`);
    if (next) path = withQuery(path, `continue=${encodeURIComponent(next)}`);
    const page = await apiGet<MetadataList>(path, token, METADATA_ACCEPT, signal);
    for (const item of page.items) {
      if (byLabel || item.metadata.name.toLowerCase().includes(needle)) matches.push(item.metadata);
    }
    next = page.metadata?.continue ?? "";
  } while (next && matches.length <= MATCHES_PER_KIND);
  return { kind, matches: matches.slice(0, MATCHES_PER_KIND), more: matches.length > MATCHES_PER_KIND };
}

export function SearchResults({ kinds, namespace, query, token }: { kinds: Kind[]; namespace: string; query: string; token: string }) {
  const [found, setFound] = useState<Found[]>();
  const [failures, setFailures] = useState<string[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    setFound(undefined);
    setFailures([]);
    const trimmed = query.trim();
    if (!trimmed) {
      setFound([]);
      return;
    }
    // Events would drown every name search; they are searched from their own list.
    const searched = kinds.filter((k) => !(k.plural === "events" && (k.group === "" || k.group === "events.k8s.io")));
    void Promise.allSettled(searched.map((k) => searchKind(k, k.namespaced && namespace ? namespace : undefined, trimmed, token, abort.signal))).then((outcomes) => {
      if (abort.signal.aborted) return;
      setFound(outcomes.flatMap((o) => (o.status === "fulfilled" && o.value.matches.length > 0 ? [o.value] : [])));
      // A kind the user may not list is not an error of the search; anything else is named.
      setFailures(
        outcomes.flatMap((o, i) => {
          if (o.status === "fulfilled") return [];
          const message = o.reason instanceof Error ? o.reason.message : String(o.reason);
          return /forbidden/i.test(message) ? [] : [`${searched[i]!.kind}: ${message}`];
        }),
      );
    });
    return () => abort.abort();
  }, [kinds, namespace, query, token]);

  if (!query.trim()) return <p class="state">Type a name, or a label selector such as <code>app=web</code>, in the search box.</p>;
  if (!found) return <p class="state">Searching…</p>;
  return (
    <section aria-label="Search results">
      {failures.map((f) => (
        <Alert key={f} message={f} />
      ))}
      {found.length === 0 && <p class="state">Nothing {isLabelQuery(query) ? "has labels matching" : "is named like"} “{query}”{namespace ? ` in ${namespace}` : ""}.</p>}
      {found.map((f) => (
        <div key={kindId(f.kind)}>
          <h3>
            {f.kind.kind}
            {f.kind.group && <span class="group"> {f.kind.group}</span>} ({f.matches.length}
            {f.more ? "+" : ""})
          </h3>
          <ul class="found">
            {f.matches.map((m) => (
              <li key={`${m.namespace ?? ""}/${m.name}`}>
                <a href={`#/${encodeURIComponent(kindId(f.kind))}/${encodeURIComponent(m.namespace ?? namespace)}/${encodeURIComponent(m.name)}`}>{m.name}</a>
                {m.namespace && !namespace && <span class="state"> in {m.namespace}</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
