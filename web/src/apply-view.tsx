// Apply YAML as kubectl apply --server-side does, document by document in order: each is first
// sent as a server-side dry run and applied only if it passes. A refusal shows the server's Status,
// and for a 422 each field it names, so the error sits next to what caused it; a 409 says which
// fields another manager owns and how to take them over (kubectl's --force-conflicts).
import { useState } from "preact/hooks";
import { ApiError } from "./api";
import { objectPath, type Kind } from "./discovery";
import { Causes, FIELD_MANAGER, write, type Cause } from "./write-result";

interface Outcome {
  name: string;
  ok: boolean;
  message: string;
  causes?: Cause[];
}

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
}

/** Why a server-side apply gets 409: the causes name the fields, this says what it means. */
const CONFLICT_HELP =
  "Another field manager (kubectl, a controller, an edit) set these fields to other values. Change the manifest to agree, or tick “Take over fields others own” to apply anyway (kubectl apply --server-side --force-conflicts).";

async function applyOne(doc: Manifest, kinds: Kind[], namespace: string, token: string, dryRun: boolean, force: boolean): Promise<Outcome> {
  const apiVersion = String(doc.apiVersion ?? "");
  const [group = "", version = ""] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  // Discovery names each group's preferred version; the document's own version is the one written.
  const found = kinds.find((k) => k.group === group && k.kind === doc.kind);
  const kind = found && version ? { ...found, version } : undefined;
  const name = typeof doc.metadata?.name === "string" ? doc.metadata.name : "";
  const label = `${String(doc.kind ?? "?")}/${name || "?"}`;
  if (!kind) return { name: label, ok: false, message: `the server does not serve kind "${String(doc.kind)}" in "${apiVersion}"` };
  if (!name) return { name: label, ok: false, message: "metadata.name is required" };
  const ns = typeof doc.metadata?.namespace === "string" ? doc.metadata.namespace : namespace;
  const query = `fieldManager=${FIELD_MANAGER}&fieldValidation=Strict${force ? "&force=true" : ""}${dryRun ? "&dryRun=All" : ""}`;
  const written = await write("PATCH", `${objectPath(kind, ns, name)}?${query}`, token, doc, "application/apply-patch+yaml");
  if (!written.ok) return { name: label, ok: false, message: written.code === 409 ? `${written.message}. ${CONFLICT_HELP}` : written.message, causes: written.causes };
  return { name: label, ok: true, message: dryRun ? "would be applied (server dry run)" : "applied" };
}

export function ApplyView({ kinds, namespace, token }: { kinds: Kind[]; namespace: string; token: string }) {
  const [text, setText] = useState("");
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [busy, setBusy] = useState(false);
  const [force, setForce] = useState(false);
  const run = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { parseAllDocuments } = await import("yaml");
      // YAML 1.1, as kubectl reads manifests: `0644` is octal, `yes` is true.
      const docs = parseAllDocuments(text, { version: "1.1" }).map((d) => {
        if (d.errors.length > 0) throw new ApiError(400, `YAML: ${d.errors[0]!.message}`);
        return d.toJS() as Manifest | null;
      }).filter((d): d is Manifest => d !== null && typeof d === "object");
      if (docs.length === 0) throw new ApiError(400, "no object to apply");
      // In document order, as kubectl applies them (a Namespace before what goes in it): each is
      // dry-run on the server, then applied; the first refusal stops the rest.
      const results: Outcome[] = [];
      for (const [i, doc] of docs.entries()) {
        const checked = await applyOne(doc, kinds, namespace, token, true, force);
        results.push(checked.ok ? await applyOne(doc, kinds, namespace, token, false, force) : checked);
        if (!results[i]!.ok) {
          for (const rest of docs.slice(i + 1)) results.push({ name: `${String(rest.kind ?? "?")}/${String(rest.metadata?.name ?? "?")}`, ok: false, message: "not applied (an earlier document was refused)" });
          break;
        }
      }
      setOutcomes(results);
    } catch (error) {
      setOutcomes([{ name: "manifest", ok: false, message: error instanceof Error ? error.message : String(error) }]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="apply" onSubmit={run}>
      <label for="manifest">Manifest (YAML; objects without a namespace go to {namespace || "default"})</label>
      <textarea id="manifest" rows={18} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      <label>
        <input type="checkbox" checked={force} onChange={(e) => setForce((e.target as HTMLInputElement).checked)} /> Take over fields others own
      </label>
      <div>
        <button type="submit" disabled={busy || text.trim() === ""}>
          {busy ? "Applying…" : "Apply"}
        </button>
      </div>
      <ul class="outcomes" aria-label="Apply results">
        {outcomes.map((o, i) => (
          <li key={i} class={o.ok ? "ok" : "bad"}>
            <strong>{o.name}</strong>: {o.message}
            <Causes causes={o.causes} />
          </li>
        ))}
      </ul>
    </form>
  );
}
