// A value that follows another at most once per period, the latest one winning: a page that lists
// related objects when its object changes lists once a second during a rollout, not on each event.
import { useEffect, useRef, useState } from "preact/hooks";

export function useThrottled<T>(value: T, periodMs: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const timer = setTimeout(
      () => {
        last.current = Date.now();
        setShown(value);
      },
      Math.max(0, last.current + periodMs - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [value, periodMs]);
  return shown;
}
