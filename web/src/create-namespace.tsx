// A new namespace, as kubectl create namespace makes it: the name is checked here as the server
// will (a DNS-1123 label), and whatever the server still refuses is shown with its field.
import { useState } from "preact/hooks";
import { useCan } from "./can";
import { Causes, FIELD_MANAGER, write, type Cause } from "./write-result";

/** apimachinery's IsDNS1123Label. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MAX = 63;

export function labelProblem(name: string): string | undefined {
  if (name.length > DNS1123_LABEL_MAX) return `must be no more than ${DNS1123_LABEL_MAX} characters`;
  if (!DNS1123_LABEL.test(name)) return "must consist of lower case letters, digits and '-', and start and end with a letter or digit (e.g. 'my-name' or '123-abc')";
  return undefined;
}

type Outcome = { ok: true; name: string } | { ok: false; message: string; causes?: Cause[] };

export function CreateNamespace({ token }: { token: string }) {
  const may = useCan(token, { verb: "create", group: "", resource: "namespaces" });
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  if (!may) return null;
  const problem = name === "" ? undefined : labelProblem(name);
  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (name === "" || problem) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      const written = await write("POST", `/api/v1/namespaces?fieldManager=${FIELD_MANAGER}`, token, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
      setOutcome(written.ok ? { ok: true, name } : { ok: false, message: written.message, causes: written.causes });
      if (written.ok) {
        setName("");
        setTouched(false);
      }
    } catch (e) {
      setOutcome({ ok: false, message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  const showProblem = touched && problem;
  return (
    <form class="create-namespace action" onSubmit={submit} noValidate>
      <label for="new-namespace">New namespace</label>
      <input
        id="new-namespace"
        value={name}
        autocomplete="off"
        spellcheck={false}
        maxLength={DNS1123_LABEL_MAX}
        aria-invalid={showProblem ? "true" : undefined}
        aria-describedby={showProblem ? "new-namespace-problem" : undefined}
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
        onBlur={() => setTouched(true)}
      />
      <button type="submit" disabled={busy || name === ""}>
        {busy ? "Creating…" : "Create namespace"}
      </button>
      {showProblem && (
        <span id="new-namespace-problem" class="error" role="alert">
          The name {problem}.
        </span>
      )}
      <span class="state" role="status">
        {outcome?.ok && (
          <>
            Created namespace <a href={`#/pods/${encodeURIComponent(outcome.name)}`}>{outcome.name}</a>.
          </>
        )}
      </span>
      {outcome && !outcome.ok && (
        <div class="error" role="alert">
          {outcome.message}
          <Causes causes={outcome.causes} />
        </div>
      )}
    </form>
  );
}
