// Node touches: adding a machine (a fresh join token, the kubeadm way: a bootstrap-token Secret in
// kube-system, and the install command that uses it), cordoning a node (spec.unschedulable, what
// kubectl cordon writes), and the pods a node runs. Draining loads on demand (node-drain.tsx).
import { useState } from "preact/hooks";
import { apiSend } from "./api";
import { useCan } from "./can";
import { LiveTableView } from "./resource-table";
import { Alert } from "./alert";

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_TTL_MS = 24 * 3_600_000;

/** Uniform over the alphabet: bytes past the last whole multiple of its size are drawn again. */
function randomToken(length: number): string {
  const limit = 256 - (256 % TOKEN_ALPHABET.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < limit && out.length < length) out += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
    }
  }
  return out;
}

export function AddNode({ token }: { token: string }) {
  const [command, setCommand] = useState<string>();
  const [error, setError] = useState<string>();
  const [copied, setCopied] = useState(false);
  const create = async () => {
    setError(undefined);
    const id = randomToken(6);
    const secret = randomToken(16);
    const expiration = new Date(Date.now() + TOKEN_TTL_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
    try {
      await apiSend("POST", "/api/v1/namespaces/kube-system/secrets", token, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
        type: "bootstrap.kubernetes.io/token",
        stringData: {
          description: "created in the web console",
          "token-id": id,
          "token-secret": secret,
          "usage-bootstrap-authentication": "true",
          expiration,
        },
      });
      setCommand(`curl -fsSL ${location.origin}/install.sh | sudo sh -s -- --token ${id}.${secret}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const copy = async () => {
    if (!command) return;
    await navigator.clipboard.writeText(command).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <section class="add-node" aria-label="Add a node">
      <button type="button" onClick={create}>
        {command ? "Another join token" : "Add a node"}
      </button>
      {command && (
        <>
          <p>Run this on the new machine (the token is good for 24 hours):</p>
          <pre class="yaml" aria-label="Install command" tabIndex={0}>
            {command}
          </pre>
          <p class="hint">
            With a server certificate from a private CA (as <code>npm start</code> makes), add <code>--cacert ca.crt</code> to curl and <code>--ca-file ca.crt</code> to the script.
          </p>
          <button type="button" onClick={copy}>
            Copy
          </button>{" "}
          <span role="status">{copied ? "Copied." : ""}</span>
        </>
      )}
      <Alert message={error} />
    </section>
  );
}

export function CordonButton({ name, unschedulable, token }: { name: string; unschedulable: boolean; token: string }) {
  const may = useCan(token, { verb: "patch", group: "", resource: "nodes", name });
  const [error, setError] = useState<string>();
  const toggle = async () => {
    try {
      await apiSend("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, token, { spec: { unschedulable: unschedulable ? null : true } }, "application/merge-patch+json");
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  if (!may) return null;
  return (
    <div class="action">
      <button type="button" onClick={toggle}>
        {unschedulable ? "Uncordon" : "Cordon"}
      </button>
      <Alert message={error} inline />
    </div>
  );
}

/** The pods bound to a node, in every namespace, live (kubectl get pods -A --field-selector spec.nodeName=NODE). */
export function NodePods({ name, token }: { name: string; token: string }) {
  return (
    <LiveTableView
      path={`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`}
      token={token}
      label={`pods on ${name}`}
      empty={`No pods on ${name}.`}
      showNamespace
      linkOf={(row) => {
        const meta = row.object?.metadata;
        return meta?.name && meta.namespace ? `#/pods/${encodeURIComponent(meta.namespace)}/${encodeURIComponent(meta.name)}` : undefined;
      }}
    />
  );
}
