// A failure to show, announced to screen readers as it appears; nothing when there is none.
export function Alert({ message, inline = false }: { message: string | undefined; inline?: boolean }) {
  if (!message) return null;
  return inline ? (
    <span class="error" role="alert">
      {message}
    </span>
  ) : (
    <p class="error" role="alert">
      {message}
    </p>
  );
}
