// The console's production build: into the Worker's static assets (wrangler.toml [assets]), beside
// the agent bundle, which the build must leave alone. Nothing loads from a CDN at run time.
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export const WEB_ROOT = fileURLToPath(new URL(".", import.meta.url));
export const CONSOLE_OUT_DIR = fileURLToPath(new URL("../dist/assets", import.meta.url));

export default defineConfig({
  root: WEB_ROOT,
  plugins: [preact()],
  build: {
    outDir: CONSOLE_OUT_DIR,
    // dist/assets also holds agent.mjs (scripts/build-agent.ts).
    emptyOutDir: false,
    assetsDir: "console",
    target: "es2022",
    sourcemap: false,
  },
});
