// A pod container's log, as kubectl logs gives it: the last lines, then followed live (the server
// streams over a WebSocket; nothing polls), with timestamps or the previous container's log on
// request, and a download of what is on screen. What is kept is capped, so a chatty container
// cannot fill the tab.
import { useEffect, useState } from "preact/hooks";
import { ApiError, followLog } from "./api";
import { Alert } from "./alert";
import { ContainerPicker } from "./container-picker";

const TAIL_LINES = 500;
const FLUSH_MS = 100;
const WAIT_RETRY_MS = 2_000;
/** Characters kept on screen; older output is dropped from the top. */
const MAX_CHARS = 1_000_000;

interface Options {
  container: string;
  follow: boolean;
  timestamps: boolean;
  previous: boolean;
}

function useLog(path: string, token: string, options: Options): { text: string; error?: string; live: boolean } {
  const [state, setState] = useState<{ text: string; error?: string; live: boolean }>({ text: "", live: false });
  useEffect(() => {
    const abort = new AbortController();
    setState({ text: "", live: false });
    const query = new URLSearchParams({ container: options.container, tailLines: String(TAIL_LINES) });
    if (options.follow && !options.previous) query.set("follow", "true");
    if (options.timestamps) query.set("timestamps", "true");
    if (options.previous) query.set("previous", "true");
    // Chunks are shown at most every FLUSH_MS: a chatty container costs one render per interval.
    let pending = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const chunk = pending;
      pending = "";
      setState((s) => {
        const text = s.text + chunk;
        return { ...s, error: undefined, text: text.length > MAX_CHARS ? text.slice(text.length - MAX_CHARS) : text };
      });
    };
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          await followLog(`${path}/log?${query}`, token, abort.signal, (text) => {
            pending += text;
            timer ??= setTimeout(flush, FLUSH_MS);
          }, () => setState((s) => ({ ...s, error: undefined, live: query.has("follow") })));
          if (abort.signal.aborted) return;
          if (timer) clearTimeout(timer);
          flush();
          setState((s) => ({ ...s, live: false }));
          return;
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, live: false, error: error instanceof Error ? error.message : String(error) }));
          // A container still starting answers 400 ("waiting to start"): try again while following.
          if (!(error instanceof ApiError && error.code === 400 && query.has("follow"))) return;
          await new Promise((r) => setTimeout(r, WAIT_RETRY_MS));
        }
      }
    };
    void run();
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [path, token, options.container, options.follow, options.timestamps, options.previous]);
  return state;
}

export function PodLogs({ path, token, containers, podName }: { path: string; token: string; containers: string[]; podName: string }) {
  const [options, setOptions] = useState<Options>({ container: containers[0] ?? "", follow: true, timestamps: false, previous: false });
  const log = useLog(path, token, options);
  const toggle = (key: "follow" | "timestamps" | "previous") => (e: Event) => setOptions({ ...options, [key]: (e.target as HTMLInputElement).checked });
  const download = () => {
    const url = URL.createObjectURL(new Blob([log.text], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${podName}-${options.container}.log`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section aria-label="Logs">
      <div class="actions">
        <ContainerPicker containers={containers} value={options.container} onChange={(container) => setOptions({ ...options, container })} />
        <label>
          <input type="checkbox" checked={options.follow} onChange={toggle("follow")} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={options.timestamps} onChange={toggle("timestamps")} /> Timestamps
        </label>
        <label>
          <input type="checkbox" checked={options.previous} onChange={toggle("previous")} /> Previous container
        </label>
        <button type="button" onClick={download} disabled={log.text === ""}>
          Download
        </button>
        <span class="state" role="status">
          {log.live ? "following" : ""}
        </span>
      </div>
      <Alert message={log.error} />
      <pre class="log" aria-label="Log output" tabIndex={0}>
        {log.text}
      </pre>
    </section>
  );
}
