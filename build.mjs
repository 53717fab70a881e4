// Bundles widget/src into the two places its output is used (committed, so a plain clone works with no Node.js):
//   python/image_pool/web/  the standalone manager page and the reusable elements, inside the Python package
//                           (a wheel serves them from any folder); manager.js and image-pool.js share one chunk
//   web/                    ComfyUI's WEB_DIRECTORY: only the glue ComfyUI loads, one self-contained file
//   node build.mjs           build both
//   node build.mjs --check   build into a temp folder and fail if the committed files differ (CI: stale bundles)
//   node build.mjs --test    run the TypeScript unit tests (widget/src/**/*.test.ts) with node --test
// and custom-elements.json, the elements' Custom Elements Manifest (properties, events, slots, parts and CSS
// properties, from the classes and their JSDoc) that editors, Storybook and docs tools read (package.json names it).
import * as esbuild from "esbuild";
import { cli as analyze } from "@custom-elements-manifest/analyzer/cli.js";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, copyFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "widget", "src");
const outputs = { package: join(here, "python", "image_pool", "web"), comfyui: join(here, "web") };

const common = { bundle: true, format: "esm", target: "es2022", minify: true, sourcemap: false, legalComments: "none",
                 logLevel: "warning", charset: "utf8" };

async function build(dirs) {
  for (const dir of Object.values(dirs)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  await esbuild.build({ ...common, splitting: true, chunkNames: "shared-[hash]", outdir: dirs.package,
                        entryPoints: { "image-pool": join(src, "index.ts"),
                                       manager: join(src, "manager/define.ts") } });
  copyFileSync(join(src, "manager/index.html"), join(dirs.package, "manager.html"));
  copyFileSync(join(src, "examples/embed.html"), join(dirs.package, "embed-example.html"));
  await esbuild.build({ ...common, entryPoints: { comfyui: join(src, "comfyui/extension.ts") },
                        outdir: dirs.comfyui });
}

const MANIFEST = join(here, "custom-elements.json");

/** The Custom Elements Manifest of the four elements, as the text written to custom-elements.json. */
async function elementsManifest() {
  const manifest = await analyze({
    argv: ["analyze", "--litelement", "--quiet", "--globs", "widget/src/{grid,pool,list,manager}/*.ts",
           "--exclude", "widget/src/**/*.test.ts"],
    cwd: here, noWrite: true,
  });
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function staleFiles(freshDir, committedDir) {
  const fresh = listFiles(freshDir).map((p) => relative(freshDir, p));
  const committed = listFiles(committedDir).map((p) => relative(committedDir, p));
  return [...new Set([...fresh, ...committed])].filter((name) =>
    !fresh.includes(name) || !committed.includes(name) ||
    !readFileSync(join(freshDir, name)).equals(readFileSync(join(committedDir, name))));
}

/** Each *.test.ts bundled for Node into a temp folder, then `node --test` on them (Node 20 runs no TypeScript). */
async function runTests() {
  const tests = listFiles(src).filter((p) => p.endsWith(".test.ts"));
  const tmp = mkdtempSync(join(tmpdir(), "image-pool-tests-"));
  try {
    await esbuild.build({ ...common, minify: false, platform: "node", outdir: tmp, outbase: src,
                          entryPoints: tests, outExtension: { ".js": ".mjs" } });
    const built = listFiles(tmp).filter((p) => p.endsWith(".test.mjs"));
    const run = spawnSync(process.execPath, ["--test", ...built], { stdio: "inherit", cwd: here });
    process.exitCode = run.status ?? 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv.includes("--test")) {
  await runTests();
} else if (process.argv.includes("--check")) {
  const tmp = mkdtempSync(join(tmpdir(), "image-pool-web-"));
  try {
    const fresh = { package: join(tmp, "package"), comfyui: join(tmp, "comfyui") };
    await build(fresh);
    const stale = Object.keys(outputs).flatMap((k) =>
      staleFiles(fresh[k], outputs[k]).map((name) => relative(here, join(outputs[k], name))));
    let committed = "";
    try { committed = readFileSync(MANIFEST, "utf8"); } catch { /* missing: stale */ }
    if (committed !== await elementsManifest()) stale.push("custom-elements.json");
    if (stale.length) {
      console.error(`built browser files are stale (run 'node build.mjs' and commit them): ${stale.join(", ")}`);
      process.exit(1);
    }
    console.log("built browser files are up to date");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  await build(outputs);
  writeFileSync(MANIFEST, await elementsManifest());
  for (const dir of Object.values(outputs)) {
    console.log(`built ${relative(here, dir)}: ${listFiles(dir).map((p) => relative(dir, p)).join(", ")}`);
  }
}
