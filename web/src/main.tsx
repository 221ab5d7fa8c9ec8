// The edgeplane console: sign in with a token, see the cluster at a glance, pick a namespace and a
// kind and watch its objects live in kubectl's columns, search, and act. Preact keeps the first
// load small (see README); the editor, terminal and log views load on demand.
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, apiGet, forgetToken, savedToken, saveToken, UNAUTHORIZED_EVENT } from "./api";
import { collectionPath, discoverKinds, kindId, type Kind } from "./discovery";
import { ApplyView } from "./apply-view";
import { HelmRelease, HelmReleases } from "./helm-releases";
import { AddNode } from "./nodes";
import { CreateNamespace } from "./create-namespace";
import { downloadKubeconfig } from "./kubeconfig";
import { ShortcutHelp, useShortcuts } from "./keyboard";
import { Overview } from "./overview";
import { SearchResults } from "./search";
import { ObjectDetail } from "./object-detail";
import { LiveTableView } from "./resource-table";
import "./styles.css";
import { Alert } from "./alert";

function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Any authenticated user may read discovery: a token that cannot is not a token.
      await apiGet("/api", token.trim());
      saveToken(token.trim());
      onSignedIn(token.trim());
    } catch (e) {
      setError(e instanceof ApiError && e.code === 401 ? "That token is not valid for this cluster." : `Could not sign in: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>edgeplane</h1>
      <form onSubmit={submit}>
        <label for="token">Bearer token</label>
        <input id="token" name="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required />
        <p class="hint">
          <code>npm start</code> prints the console's address; the admin token is the one in <code>.edgeplane/kubeconfig</code>. A ServiceAccount's comes from{" "}
          <code>kubectl create token NAME</code>.
        </p>
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <Alert message={error} />
      </form>
    </main>
  );
}

const ALL = "";
/** A pod's node and IP, from kubectl -o wide: where it runs is what a list of pods is read for. */
const POD_WIDE_COLUMNS = ["IP", "Node"] as const;

/**
 * Where the console is: `#/<kind id>/<namespace>[/<name>]` (an empty namespace is all of them);
 * the console's own views take a kind's place (`overview`, `apply`, `helm`, `search`, whose third
 * part is the query).
 */
function readLocation(): { kind: string; namespace: string; name?: string } {
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part; // a malformed address shows "not served", it does not break the app
    }
  };
  const [, kind = "overview", namespace = "default", name] = location.hash.split("/").map(decode);
  return { kind, namespace, ...(name ? { name } : {}) };
}

function ResourceList({ kind, namespace, token }: { kind: Kind; namespace: string; token: string }) {
  const where = kind.namespaced ? (namespace === ALL ? "in any namespace" : `in ${namespace}`) : "in the cluster";
  return (
    <>
    {kind.group === "" && kind.plural === "nodes" && <AddNode token={token} />}
    {kind.group === "" && kind.plural === "namespaces" && <CreateNamespace token={token} />}
    <LiveTableView
      path={collectionPath(kind, namespace === ALL ? undefined : namespace)}
      token={token}
      label={kind.plural}
      empty={`No ${kind.plural} ${where}.`}
      showNamespace={kind.namespaced && namespace === ALL}
      wide={kind.group === "" && kind.plural === "pods" ? POD_WIDE_COLUMNS : undefined}
      linkOf={(row) => {
        const meta = row.object?.metadata;
        if (!meta?.name) return undefined;
        return `#/${encodeURIComponent(kindId(kind))}/${encodeURIComponent(meta.namespace ?? namespace)}/${encodeURIComponent(meta.name)}`;
      }}
    />
    </>
  );
}

/** The view's title, for the heading and the tab. */
function titleOf(where: { kind: string; name?: string }, kind: Kind | undefined): string {
  switch (where.kind) {
    case "overview":
      return "Overview";
    case "apply":
      return "Apply YAML";
    case "search":
      return where.name ? `Search: ${where.name}` : "Search";
    case "helm":
      return where.name ? `Helm release ${where.name}` : "Helm releases";
  }
  return kind ? `${kind.kind}${where.name ? ` ${where.name}` : ""}` : where.kind;
}

const OWN_VIEWS = new Set(["overview", "apply", "helm", "search"]);

function Shell({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  const [where, setWhere] = useState(readLocation);
  const [kinds, setKinds] = useState<Kind[]>();
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [help, setHelp] = useState(false);
  const [query, setQuery] = useState(where.kind === "search" ? (where.name ?? "") : "");
  useEffect(() => {
    const onHash = () => setWhere(readLocation());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    discoverKinds(token).then(setKinds, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    apiGet<{ items: { metadata: { name: string } }[] }>("/api/v1/namespaces", token).then(
      (list) => setNamespaces(list.items.map((n) => n.metadata.name)),
      () => setNamespaces([]),
    );
  }, [token]);
  const go = (kind: string, namespace: string) => {
    location.hash = `#/${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}`;
  };
  const goToView = useCallback((view: string) => go(view, readLocation().namespace), []);
  const showHelp = useCallback(() => setHelp(true), []);
  useShortcuts(goToView, showHelp);
  const kind = useMemo(() => kinds?.find((k) => kindId(k) === where.kind), [kinds, where.kind]);
  const title = titleOf(where, kind);
  useEffect(() => {
    document.title = `${title} · edgeplane`;
  }, [title]);
  const search = (event: Event) => {
    event.preventDefault();
    location.hash = `#/search/${encodeURIComponent(where.namespace)}/${encodeURIComponent(query.trim())}`;
  };
  const ns = encodeURIComponent(where.namespace);
  return (
    <div class="shell">
      <header>
        <h1>edgeplane</h1>
        <form role="search" class="search" onSubmit={search}>
          <input id="search" type="search" aria-label="Search by name or label" placeholder="Search (/)" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        </form>
        <label>
          Namespace{" "}
          <select value={where.namespace} onChange={(e) => go(where.kind, (e.target as HTMLSelectElement).value)}>
            <option value={ALL}>All namespaces</option>
            {[...new Set([where.namespace, ...namespaces])].filter((n) => n !== ALL).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {/* Offered to everyone: a manifest may hold any kind, and the dry run reports each refusal. */}
        <a class="button" href={`#/apply/${ns}`}>
          Apply YAML
        </a>
        <button type="button" onClick={() => void downloadKubeconfig(token).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))}>
          Kubeconfig
        </button>
        <button type="button" aria-label="Keyboard shortcuts" onClick={showHelp}>
          ?
        </button>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      <nav aria-label="Kinds">
        <Alert message={error} />
        <ul>
          <li>
            <a href={`#/overview/${ns}`} aria-current={where.kind === "overview" ? "page" : undefined}>
              Overview
            </a>
          </li>
          <li>
            <a href={`#/helm/${ns}`} aria-current={where.kind === "helm" ? "page" : undefined}>
              Helm releases
            </a>
          </li>
          {!kinds && !error && <li class="state">Discovering kinds…</li>}
          {kinds?.map((k) => (
            <li key={kindId(k)}>
              <a href={`#/${encodeURIComponent(kindId(k))}/${ns}`} aria-current={kindId(k) === where.kind ? "page" : undefined}>
                {k.kind}
                {k.group && <span class="group"> {k.group}</span>}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h2>{title}</h2>
        {where.kind === "overview" && <Overview token={token} namespace={where.namespace} />}
        {where.kind === "apply" &&
          (kinds ? <ApplyView kinds={kinds} namespace={where.namespace || "default"} token={token} /> : <p class="state">Discovering kinds…</p>)}
        {where.kind === "search" &&
          (kinds ? <SearchResults kinds={kinds} namespace={where.namespace} query={where.name ?? ""} token={token} /> : <p class="state">Discovering kinds…</p>)}
        {where.kind === "helm" &&
          (where.name ? (
            <HelmRelease key={`${where.namespace}/${where.name}`} namespace={where.namespace} name={where.name} token={token} />
          ) : (
            <HelmReleases key={where.namespace} namespace={where.namespace} token={token} />
          ))}
        {kinds && !kind && !OWN_VIEWS.has(where.kind) && <p class="state">The server does not serve “{where.kind}”.</p>}
        {kind && where.name && <ObjectDetail key={`${kindId(kind)}/${where.namespace}/${where.name}`} kind={kind} namespace={where.namespace} name={where.name} token={token} />}
        {kind && !where.name && <ResourceList key={`${kindId(kind)}/${where.namespace}`} kind={kind} namespace={where.namespace} token={token} />}
      </main>
    </div>
  );
}

function App() {
  const [token, setToken] = useState(savedToken);
  // A token the server no longer takes (expired, revoked): back to sign-in, not endless retries.
  useEffect(() => {
    const signOut = () => {
      forgetToken();
      setToken(null);
    };
    addEventListener(UNAUTHORIZED_EVENT, signOut);
    return () => removeEventListener(UNAUTHORIZED_EVENT, signOut);
  }, []);
  if (!token) return <SignIn onSignedIn={setToken} />;
  return (
    <Shell
      token={token}
      onSignOut={() => {
        forgetToken();
        setToken(null);
      }}
    />
  );
}

render(<App />, document.getElementById("app")!);
