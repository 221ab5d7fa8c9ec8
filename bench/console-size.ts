// The web console's first load: the production build's HTML and the JS and CSS it names, raw and
// brotli-compressed (what a browser fetches before the first view); chunks loaded on demand are
// listed apart. `npm run bench:console`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { ASSETS_DIR } from "../scripts/build-agent";
import { buildConsole, CONSOLE_INDEX } from "../scripts/build-console";

await buildConsole({ force: true });
const html = readFileSync(CONSOLE_INDEX, "utf8");
// The first load is what index.html names; other chunks (the YAML library) load on demand.
const firstLoad = new Set([...html.matchAll(/(?:src|href)="\/(console\/[^"]+)"/g)].map((m) => m[1]!));
let raw = 0;
let brotli = 0;
const row = (name: string, bytes: number, packed: number, note = "") =>
  console.log(`${name.padEnd(36)} ${String(bytes).padStart(8)} B  brotli ${String(packed).padStart(7)} B${note}`);
for (const file of [CONSOLE_INDEX, ...readdirSync(join(ASSETS_DIR, "console")).map((f) => join(ASSETS_DIR, "console", f))]) {
  const bytes = readFileSync(file);
  const packed = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const name = file.slice(ASSETS_DIR.length + 1);
  const first = file === CONSOLE_INDEX || firstLoad.has(name);
  if (first) {
    raw += bytes.length;
    brotli += packed;
  }
  row(name, bytes.length, packed, first ? "" : "  (on demand)");
}
row("first load (HTML + JS + CSS)", raw, brotli);
