// Edit an object's YAML, as kubectl edit does: the text as it was when opened (without
// managedFields); saving sends only what the user changed, as a merge patch, so a status or field
// someone else wrote meanwhile is kept, not overwritten. Changing the resourceVersion in the text
// makes it a precondition (a 409 if the object moved on). A server-side dry run goes first.
import { useEffect, useRef, useState } from "preact/hooks";
import { apiGet } from "./api";
import { objectPath, type Kind } from "./discovery";
import { messageOf, type KubeObject } from "./kube-object";
import { Causes, FIELD_MANAGER, write, type Cause } from "./write-result";
import { mergePatchBetween } from "../../shared/merge-patch-diff";
import "./object-parts.css";

type Outcome = { saved: true; unchanged?: boolean } | { saved: false; code?: number; message: string; causes?: Cause[] };

/** What kubectl edit refuses to change: the patch would name another object. */
const IDENTITY = ["apiVersion", "kind"] as const;

/** As kubectl get -o yaml shows it: without managedFields (--show-managed-fields=false). */
async function yamlOf(object: KubeObject): Promise<string> {
  const { managedFields: _fields, ...metadata } = object.metadata as KubeObject["metadata"] & { managedFields?: unknown };
  const { stringify } = await import("yaml");
  // Written as YAML 1.1, as it is read back: a string `yes` or `0644` stays quoted, a string.
  return stringify({ ...object, metadata }, { version: "1.1" });
}

async function parseObject(text: string): Promise<KubeObject> {
  const { parseDocument } = await import("yaml");
  // YAML 1.1, as kubectl reads it: `0644` is octal, `yes` is true.
  const doc = parseDocument(text, { version: "1.1" });
  if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]!.message}`);
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("YAML: the text is not one object");
  const object = value as KubeObject;
  if (typeof object.metadata !== "object" || object.metadata === null) throw new Error("YAML: metadata is missing");
  return object;
}

export function YamlEditor({ kind, object, token, onClose }: { kind: Kind; object: KubeObject; token: string; onClose: () => void }) {
  const path = objectPath(kind, object.metadata.namespace, object.metadata.name);
  const [text, setText] = useState<string>();
  /** The object as the text showed it when opened: the patch is what changed since. */
  const [original, setOriginal] = useState<KubeObject>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const loaded = text !== undefined;
  useEffect(() => area.current?.focus(), [loaded]);
  const open = async (from: KubeObject) => {
    const text = await yamlOf(from);
    setText(text);
    setOriginal(await parseObject(text));
  };
  useEffect(() => {
    void open(object);
    // Read once, when opened: the live object moving on must not replace what is being edited.
  }, []);
  const reload = async () => {
    setOutcome(undefined);
    try {
      await open(await apiGet<KubeObject>(path, token));
    } catch (e) {
      setOutcome({ saved: false, message: messageOf(e) });
    }
  };
  const save = async (event: Event) => {
    event.preventDefault();
    if (text === undefined || original === undefined) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      const edited = await parseObject(text);
      const renamed = IDENTITY.some((key) => edited[key] !== original[key]) || edited.metadata.name !== original.metadata.name || edited.metadata.namespace !== original.metadata.namespace;
      if (renamed) throw new Error("apiVersion, kind, name and namespace cannot be changed: create another object instead");
      const patch = mergePatchBetween(original, edited);
      if (Object.keys(patch).length === 0) return setOutcome({ saved: true, unchanged: true });
      const query = `fieldManager=${FIELD_MANAGER}&fieldValidation=Strict`;
      const type = "application/merge-patch+json";
      const checked = await write<KubeObject>("PATCH", `${path}?${query}&dryRun=All`, token, patch, type);
      const written = checked.ok ? await write<KubeObject>("PATCH", `${path}?${query}`, token, patch, type) : checked;
      if (written.ok) {
        await open(written.object);
        setOutcome({ saved: true });
      } else {
        setOutcome({ saved: false, code: written.code, message: written.message, causes: written.causes });
      }
    } catch (e) {
      setOutcome({ saved: false, message: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  if (text === undefined) return <p class="state">Loading YAML…</p>;
  const stale = original !== undefined && object.metadata.resourceVersion !== original.metadata.resourceVersion;
  const conflict = outcome && !outcome.saved && outcome.code === 409;
  const id = `edit-${object.metadata.uid ?? object.metadata.name}`;
  return (
    <form class="yaml-editor" onSubmit={save}>
      <label for={id}>
        YAML of {kind.kind} {object.metadata.name}
      </label>
      <textarea id={id} rows={24} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} ref={area} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onClose}>
          {outcome?.saved ? "Close" : "Cancel"}
        </button>
        <span class="state" role="status">
          {outcome?.saved
            ? outcome.unchanged
              ? "No changes to save."
              : "Saved."
            : stale && !conflict
              ? `${kind.kind} ${object.metadata.name} has changed since you opened it: saving writes only what you changed.`
              : ""}
        </span>
        {stale && !conflict && (
          <button type="button" onClick={reload}>
            Load the current version
          </button>
        )}
      </div>
      {outcome && !outcome.saved && (
        <div class="error" role="alert">
          {conflict ? (
            <p>
              {kind.kind} {object.metadata.name} changed since you opened it — reload it and edit again. ({outcome.message})
            </p>
          ) : (
            <p>{outcome.message}</p>
          )}
          <Causes causes={outcome.causes} />
        </div>
      )}
      {conflict && (
        <p>
          <button type="button" onClick={reload}>
            Load the current version
          </button>{" "}
          <span class="hint">Your changes are replaced by what the server has now.</span>
        </p>
      )}
    </form>
  );
}
