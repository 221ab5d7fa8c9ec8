// Which of a pod's containers a view is about (its log, its terminal): shown only when there is a choice.
export function ContainerPicker({ containers, value, disabled, onChange }: { containers: string[]; value: string; disabled?: boolean; onChange: (container: string) => void }) {
  if (containers.length < 2) return null;
  return (
    <label>
      Container{" "}
      <select value={value} disabled={disabled} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {containers.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}
