// Loads *.sql as text in tests, as wrangler's Text rule does for the Worker bundle.
import type { Plugin } from "vitest/config";

export function sqlAsText(): Plugin {
  return {
    name: "sql-as-text",
    transform(code, id) {
      return id.endsWith(".sql") ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
    },
  };
}
