// Bundles widget/src into web/ (committed, so a plain clone works in ComfyUI with no Node.js).
//   node build.mjs           build into ../web
//   node build.mjs --check   build into a temp folder and fail if ../web differs (CI: the committed bundle is stale)
import * as esbuild from "esbuild";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, copyFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const webDir = join(here, "..", "web");

// Companion bundles import the elements (and Lit) from ./image-pool.js at run time instead of bundling a second copy.
const shareElements = {
  name: "share-elements",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: "./image-pool.js", external: true }));
  },
};

const common = { bundle: true, format: "esm", target: "es2022", minify: true, sourcemap: false, legalComments: "none",
                 logLevel: "warning", charset: "utf8" };

async function build(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({ ...common, entryPoints: { "image-pool": join(here, "src/index.ts") }, outdir: outDir });
  await esbuild.build({ ...common, entryPoints: { manager: join(here, "src/manager/define.ts") }, outdir: outDir,
                        plugins: [shareElements] });
  await esbuild.build({ ...common, entryPoints: { comfyui: join(here, "src/comfyui/extension.ts") }, outdir: outDir,
                        plugins: [shareElements] });
  copyFileSync(join(here, "src/manager/index.html"), join(outDir, "manager.html"));
  copyFileSync(join(here, "src/examples/embed.html"), join(outDir, "embed-example.html"));
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv.includes("--check")) {
  const tmp = mkdtempSync(join(tmpdir(), "image-pool-web-"));
  try {
    await build(tmp);
    const fresh = listFiles(tmp).map((p) => relative(tmp, p)).sort();
    const committed = listFiles(webDir).map((p) => relative(webDir, p)).sort();
    const stale = [...new Set([...fresh, ...committed])].filter((name) =>
      !fresh.includes(name) || !committed.includes(name) ||
      !readFileSync(join(tmp, name)).equals(readFileSync(join(webDir, name))));
    if (stale.length) {
      console.error(`web/ is stale (run 'node widget/build.mjs' and commit web/): ${stale.join(", ")}`);
      process.exit(1);
    }
    console.log(`web/ is up to date (${fresh.length} files)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  await build(webDir);
  console.log(`built ${listFiles(webDir).map((p) => relative(webDir, p)).join(", ")}`);
}
