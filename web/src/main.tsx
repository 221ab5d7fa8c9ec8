// The edgeplane console: sign in with a token, pick a namespace and a kind, and watch its objects
// live in kubectl's columns. Preact keeps the first load small (see README).
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, apiGet, forgetToken, savedToken, saveToken, UNAUTHORIZED_EVENT } from "./api";
import { collectionPath, discoverKinds, kindId, type Kind } from "./discovery";
import { ApplyView } from "./apply-view";
import { HelmRelease, HelmReleases } from "./helm-releases";
import { AddNode } from "./nodes";
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

/** Where the console is: `#/<kind id>/<namespace>[/<name>]` (an empty namespace is all of them). */
function readLocation(): { kind: string; namespace: string; name?: string } {
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part; // a malformed address shows "not served", it does not break the app
    }
  };
  const [, kind = "pods", namespace = "default", name] = location.hash.split("/").map(decode);
  return { kind, namespace, ...(name ? { name } : {}) };
}

function ResourceList({ kind, namespace, token }: { kind: Kind; namespace: string; token: string }) {
  const where = kind.namespaced ? (namespace === ALL ? "in any namespace" : `in ${namespace}`) : "in the cluster";
  return (
    <>
    {kind.group === "" && kind.plural === "nodes" && <AddNode token={token} />}
    <LiveTableView
      path={collectionPath(kind, namespace === ALL ? undefined : namespace)}
      token={token}
      label={kind.plural}
      empty={`No ${kind.plural} ${where}.`}
      showNamespace={kind.namespaced && namespace === ALL}
      linkOf={(row) => {
        const meta = row.object?.metadata;
        if (!meta?.name) return undefined;
        return `#/${encodeURIComponent(kindId(kind))}/${encodeURIComponent(meta.namespace ?? namespace)}/${encodeURIComponent(meta.name)}`;
      }}
    />
    </>
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
        <a class="button" href={`#/apply/${encodeURIComponent(where.namespace)}`}>
          Apply YAML
        </a>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Kinds">
        <Alert message={error} />
        {!kinds && !error && <p class="state">Discovering kinds…</p>}
        <ul>
          <li>
            <a href={`#/helm/${encodeURIComponent(where.namespace)}`} aria-current={where.kind === "helm" ? "page" : undefined}>
              Helm releases
            </a>
          </li>
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
        {where.kind === "apply" ? (
          <>
            <h2>Apply YAML</h2>
            {kinds ? <ApplyView kinds={kinds} namespace={where.namespace || "default"} token={token} /> : <p class="state">Discovering kinds…</p>}
          </>
        ) : where.kind === "helm" ? (
          <>
            <h2>{where.name ? `Helm release ${where.name}` : "Helm releases"}</h2>
            {where.name ? (
              <HelmRelease key={`${where.namespace}/${where.name}`} namespace={where.namespace} name={where.name} token={token} />
            ) : (
              <HelmReleases key={where.namespace} namespace={where.namespace} token={token} />
            )}
          </>
        ) : (
          <h2>{kind ? `${kind.kind}${where.name ? ` ${where.name}` : ""}` : where.kind}</h2>
        )}
        {kinds && !kind && where.kind !== "apply" && where.kind !== "helm" && <p class="state">The server does not serve “{where.kind}”.</p>}
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
