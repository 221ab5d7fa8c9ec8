// Keyboard navigation: `/` searches, `g` then a letter goes to a view, `j`/`k` (or the arrows)
// move through a list's rows and Enter opens one, `?` lists all of this. Keys typed into a field,
// an editor or a terminal are theirs, not shortcuts.
import { useEffect, useRef, useState } from "preact/hooks";

/** `g` then one of these: where it goes (a kind id, or one of the console's own views). */
export const GO_TO: Record<string, { view: string; label: string }> = {
  o: { view: "overview", label: "Overview" },
  p: { view: "pods", label: "Pods" },
  d: { view: "deployments.apps", label: "Deployments" },
  s: { view: "services", label: "Services" },
  n: { view: "nodes", label: "Nodes" },
  e: { view: "events", label: "Events" },
  h: { view: "helm", label: "Helm releases" },
  a: { view: "apply", label: "Apply YAML" },
};

/** How long after `g` the second key still counts. */
const CHORD_MS = 1_500;

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.closest(".xterm") !== null;
}

/** Focus the row link `step` rows from the focused one (the first or last when none is focused). */
function moveInList(step: number): void {
  const links = [...document.querySelectorAll<HTMLAnchorElement>("main tbody tr[data-name] td:first-child a")];
  if (links.length === 0) return;
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
  links[next]!.focus();
  links[next]!.scrollIntoView({ block: "nearest" });
}

export function useShortcuts(go: (view: string) => void, showHelp: () => void): void {
  const chord = useRef(0);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // A modal dialog (this help) has the keyboard: nothing moves behind it.
      if (event.ctrlKey || event.metaKey || event.altKey || typingInto(event.target) || document.querySelector("dialog[open]")) return;
      const inChord = Date.now() - chord.current < CHORD_MS;
      chord.current = 0;
      if (inChord && GO_TO[event.key]) {
        event.preventDefault();
        go(GO_TO[event.key]!.view);
        return;
      }
      switch (event.key) {
        case "g":
          chord.current = Date.now();
          return;
        case "/":
          event.preventDefault();
          document.getElementById("search")?.focus();
          return;
        case "?":
          event.preventDefault();
          showHelp();
          return;
        case "j":
        case "ArrowDown":
          if (event.key === "ArrowDown" && !(document.activeElement instanceof HTMLAnchorElement && document.activeElement.closest("main tbody"))) return;
          event.preventDefault();
          moveInList(1);
          return;
        case "k":
        case "ArrowUp":
          if (event.key === "ArrowUp" && !(document.activeElement instanceof HTMLAnchorElement && document.activeElement.closest("main tbody"))) return;
          event.preventDefault();
          moveInList(-1);
          return;
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [go, showHelp]);
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [rows] = useState(() => [
    ["/", "Search by name or label"],
    ["j / k, ↓ / ↑", "Next or previous row of a list"],
    ["Enter", "Open the focused row"],
    ...Object.entries(GO_TO).map(([key, { label }]) => [`g then ${key}`, label]),
    ["?", "This list"],
  ]);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="shortcuts-title" onClose={onClose} class="shortcuts">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table>
        <tbody>
          {rows.map(([key, what]) => (
            <tr key={key}>
              <th scope="row">
                <kbd>{key}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}
