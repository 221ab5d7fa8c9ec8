// A shell in a pod's container, as `kubectl exec -it` gives one: pick the container and command,
// Connect. The session (xterm.js, the exec WebSocket, the stylesheets) loads only then, as its own
// chunk: the console's first load carries this form alone.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Phase, Session } from "./terminal-session";
import { ContainerPicker } from "./container-picker";

export interface TerminalProps {
  namespace: string;
  pod: string;
  /** The pod's containers (spec.containers' names); a picker shows when there is more than one. */
  containers: string[];
  token: string;
}

export function Terminal(props: TerminalProps) {
  const { namespace, pod, containers } = props;
  const [chosen, setChosen] = useState(containers[0] ?? "");
  const [command, setCommand] = useState("sh");
  const [state, setState] = useState<Phase>({ phase: "idle" });
  const host = useRef<HTMLDivElement>(null);
  const session = useRef<Session | null>(null);
  /** Bumped when a session starts or the pod's must end: a load that finishes late opens nothing. */
  const generation = useRef(0);
  const container = containers.includes(chosen) ? chosen : (containers[0] ?? "");

  // Leaving the pod (or the page) ends its session.
  useEffect(
    () => () => {
      generation.current++;
      session.current?.dispose();
      session.current = null;
      setState({ phase: "idle" });
    },
    [namespace, pod],
  );

  const connect = async (event: Event) => {
    event.preventDefault();
    session.current?.dispose();
    session.current = null;
    setState({ phase: "connecting" });
    // Arguments are split on whitespace, as the words of a command line without quoting.
    const argv = command.trim().split(/\s+/).filter(Boolean);
    const at = ++generation.current;
    try {
      const { openSession } = await import("./terminal-session");
      // Left (or connected again) while it loaded: this session is no longer wanted.
      if (at !== generation.current || !host.current) return;
      const target = { namespace, pod, container, command: argv, token: props.token };
      session.current = openSession(host.current, target, (phase) => at === generation.current && setState(phase));
    } catch (error) {
      if (at === generation.current) setState({ phase: "ended", message: error instanceof Error ? error.message : String(error), failed: true });
    }
  };

  const busy = state.phase === "connecting" || state.phase === "connected";
  const status =
    state.phase === "connecting" ? "connecting…" : state.phase === "connected" ? "connected" : state.phase === "ended" ? state.message : "";
  return (
    <section aria-label="Terminal">
      <form class="actions" onSubmit={connect}>
        <ContainerPicker containers={containers} value={container} disabled={busy} onChange={setChosen} />
        <label>
          Command{" "}
          <input value={command} disabled={busy} required onInput={(e) => setCommand((e.target as HTMLInputElement).value)} />
        </label>
        {state.phase === "connected" ? (
          <button type="button" onClick={() => session.current?.disconnect()}>
            Disconnect
          </button>
        ) : (
          <button type="submit" disabled={busy || container === ""}>
            Connect
          </button>
        )}
        <span class={state.phase === "ended" && state.failed ? "error" : "state"} role="status">
          {status}
        </span>
      </form>
      {/* xterm.js fills this; its own textarea ("Terminal input") takes the keys. */}
      <div class="terminal" ref={host} />
    </section>
  );
}
