// Builds the UI into internal/server/ui/dist: one hashed JS bundle, one hashed CSS file
// and index.html pointing at them. Everything is local: the UI works offline.
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { basename } from "node:path";

const out = new URL("../internal/server/ui/dist/", import.meta.url).pathname;
rmSync(out, { recursive: true, force: true });
mkdirSync(out + "assets", { recursive: true });
const result = await esbuild.build({
  entryPoints: ["src/main.ts", "src/style.css"],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["es2020"],
  outdir: out + "assets",
  entryNames: "[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  logLevel: "info",
});
let js = "", css = "";
for (const f of Object.keys(result.metafile.outputs)) {
  if (f.endsWith(".js")) js = basename(f);
  if (f.endsWith(".css")) css = basename(f);
}
const html = readFileSync("src/index.html", "utf8").replace("%JS%", "assets/" + js).replace("%CSS%", "assets/" + css);
writeFileSync(out + "index.html", html);
