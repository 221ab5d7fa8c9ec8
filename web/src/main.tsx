// The edgeplane console: sign in with a token, pick a namespace and a kind, and watch its objects
// live in kubectl's columns. Preact keeps the first load small (see README).
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, apiGet, forgetToken, savedToken, saveToken } from "./api";
import { collectionPath, discoverKinds, kindId, type Kind } from "./discovery";
import { useLiveTable } from "./live-table";
import "./styles.css";

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
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

const ALL = "";

/** Where the console is: `#/<kind id>/<namespace>` (an empty namespace is all of them). */
function readLocation(): { kind: string; namespace: string } {
  const [, kind = "pods", namespace = "default"] = location.hash.split("/").map(decodeURIComponent);
  return { kind, namespace };
}

function statusClass(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (/^(Running|Succeeded|Completed|Active|Bound|Ready|True)$/.test(value)) return "ok";
  if (/^(Pending|ContainerCreating|PodInitializing|Terminating|Unknown)$/.test(value)) return "wait";
  if (/(Error|BackOff|Failed|Lost|NotReady|Evicted|OOMKilled)/.test(value)) return "bad";
  return undefined;
}

function ResourceTable({ kind, namespace, token }: { kind: Kind; namespace: string; token: string }) {
  const path = collectionPath(kind, namespace === ALL ? undefined : namespace);
  const table = useLiveTable(path, token);
  const showNamespace = kind.namespaced && namespace === ALL;
  if (table.loading) return <p class="state">Loading {kind.plural}…</p>;
  return (
    <section aria-label={kind.plural}>
      {table.error && (
        <p class="error" role="alert">
          {table.error}
        </p>
      )}
      {table.rows.length === 0 ? (
        <p class="state">
          No {kind.plural} {kind.namespaced ? (namespace === ALL ? "in any namespace" : `in ${namespace}`) : "in the cluster"}.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              {showNamespace && <th scope="col">Namespace</th>}
              {table.columns.map((c) => (
                <th scope="col" key={c.name}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => {
              const meta = row.object?.metadata;
              return (
                <tr key={meta?.uid ?? String(row.cells[0])} data-name={meta?.name}>
                  {showNamespace && <td>{meta?.namespace}</td>}
                  {row.cells.slice(0, table.columns.length).map((cell, i) => (
                    <td key={i} class={table.columns[i]?.name === "Status" ? statusClass(cell) : undefined}>
                      {cell === null || cell === undefined ? "" : String(cell)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Shell({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  const [where, setWhere] = useState(readLocation);
  const [kinds, setKinds] = useState<Kind[]>();
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const [error, setError] = useState<string>();
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
  const kind = useMemo(() => kinds?.find((k) => kindId(k) === where.kind), [kinds, where.kind]);
  return (
    <div class="shell">
      <header>
        <h1>edgeplane</h1>
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
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Kinds">
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {!kinds && !error && <p class="state">Discovering kinds…</p>}
        <ul>
          {kinds?.map((k) => (
            <li key={kindId(k)}>
              <a href={`#/${encodeURIComponent(kindId(k))}/${encodeURIComponent(where.namespace)}`} aria-current={kindId(k) === where.kind ? "page" : undefined}>
                {k.kind}
                {k.group && <span class="group"> {k.group}</span>}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h2>{kind ? kind.kind : where.kind}</h2>
        {kinds && !kind && <p class="state">The server does not serve “{where.kind}”.</p>}
        {kind && <ResourceTable kind={kind} namespace={where.namespace} token={token} />}
      </main>
    </div>
  );
}

function App() {
  const [token, setToken] = useState(savedToken);
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
