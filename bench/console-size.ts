// The web console's first load: the production build's JS, CSS and HTML, raw and brotli-compressed
// (what a browser fetches before the first view). `npm run bench:console`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { ASSETS_DIR } from "../scripts/build-agent";
import { buildConsole, CONSOLE_INDEX } from "../scripts/build-console";

await buildConsole({ force: true });
const files = [CONSOLE_INDEX, ...readdirSync(join(ASSETS_DIR, "console")).map((f) => join(ASSETS_DIR, "console", f))];
let raw = 0;
let brotli = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  const packed = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  raw += bytes.length;
  brotli += packed;
  console.log(`${file.slice(ASSETS_DIR.length + 1).padEnd(32)} ${String(bytes.length).padStart(8)} B  brotli ${String(packed).padStart(7)} B`);
}
console.log(`first load (HTML + JS + CSS)     ${String(raw).padStart(8)} B  brotli ${String(brotli).padStart(7)} B`);
