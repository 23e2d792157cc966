// Builds the UI into internal/server/ui/dist (or the directory given as the first
// argument): one hashed JS bundle, one hashed CSS file and index.html pointing at them.
// Everything is local: the UI works offline. The build fails when the sources import each
// other in a circle (main.ts only wires; views reach shared state through state.ts and
// routing through router.ts, never through main.ts or each other in a loop).
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { basename, resolve } from "node:path";

const out = resolve(process.argv[2] ?? new URL("../internal/server/ui/dist/", import.meta.url).pathname) + "/";
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
  logLevel: process.argv[2] ? "warning" : "info",
});

// Import cycles among our own sources.
const graph = new Map();
for (const [file, input] of Object.entries(result.metafile.inputs)) {
  if (!file.startsWith("src/")) continue;
  graph.set(file, input.imports.map((i) => i.path).filter((p) => p.startsWith("src/")));
}
const state = new Map();
const cycles = [];
const visit = (f, stack) => {
  state.set(f, "open");
  for (const g of graph.get(f) ?? []) {
    if (state.get(g) === "open") cycles.push([...stack.slice(stack.indexOf(g)), g].join(" → "));
    else if (!state.has(g)) visit(g, [...stack, g]);
  }
  state.set(f, "done");
};
for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
if (cycles.length) {
  console.error("import cycles in web/src:\n  " + cycles.join("\n  "));
  process.exit(1);
}

let js = "", css = "";
for (const f of Object.keys(result.metafile.outputs)) {
  if (f.endsWith(".js")) js = basename(f);
  if (f.endsWith(".css")) css = basename(f);
}
const html = readFileSync("src/index.html", "utf8").replace("%JS%", "assets/" + js).replace("%CSS%", "assets/" + css);
writeFileSync(out + "index.html", html);
