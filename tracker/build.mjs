// Builds assets/footfall.js (the tracker, from src/index.js) and assets/footfall-heatmap.js
// (the heatmap overlay the tracker loads on demand, from src/overlay/index.js): esbuild
// bundles each into one script, terser minifies it. `--check` builds in memory and fails if a
// committed file differs, so the outputs are never edited by hand (scripts/test.sh runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));

const OUTPUTS = [
  {
    entry: 'tracker/src/index.js',
    output: 'assets/footfall.js',
    // The first line says what the file is made from, in as few bytes as the budget allows.
    // The compile hint asks V8 to compile every function eagerly: they all run at load.
    header: '// generated from tracker/src/\n//# allFunctionsCalledOnLoad\n',
    // booleans_as_integers: the only booleans in the tracker are option flags (passive,
    // capture, keepalive, "always", the MutationObserver's options), for which 1 does as well
    // as true. The rest only make the gzipped file smaller, each by a few bytes: unsafe_comps
    // (here it only turns `a < b` into `b > a`; it may also turn `!(a < b)` into `a >= b`,
    // which differs for NaN, so look at the output when adding such a comparison), unsafe_methods (API arrows become methods;
    // none of them uses `this`), hoist_vars, and statements kept apart (sequences: false).
    compress: {
      booleans_as_integers: true,
      unsafe_comps: true,
      unsafe_methods: true,
      hoist_vars: true,
      sequences: false,
    },
  },
  {
    entry: 'tracker/src/overlay/index.js',
    output: 'assets/footfall-heatmap.js',
    header: '/*! footfall-heatmap.js: generated from tracker/src/overlay/ by scripts/build-tracker.sh */\n',
    compress: {},
  },
];

const buildOne = async ({ entry, header, compress }) => {
  const bundle = await build({
    entryPoints: [root + entry],
    bundle: true,
    format: 'iife',
    // Optional chaining and ?? are the newest syntax used: browsers from 2020 on.
    target: 'es2020',
    // esbuild's syntax pass first (const to let, joined declarations) leaves terser less to
    // do and the tracker some 20 bytes smaller gzipped than terser alone.
    minifySyntax: true,
    write: false,
    logLevel: 'error',
  });
  const minified = await minify(bundle.outputFiles[0].text, {
    ecma: 2020,
    toplevel: true,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true, inline: 1, ...compress },
    mangle: true,
    format: { comments: false },
  });
  return header + minified.code + '\n';
};

let stale = 0;
for (const target of OUTPUTS) {
  const text = await buildOne(target);
  const path = root + target.output;
  if (process.argv.includes('--check')) {
    let committed;
    try {
      committed = readFileSync(path, 'utf8');
    } catch {
      // A missing file is as stale as a different one.
    }
    if (committed != text) {
      console.error(
        `${target.output} is not what ${target.entry} builds to: run scripts/build-tracker.sh and commit the result`,
      );
      stale = 1;
    }
  } else {
    writeFileSync(path, text);
  }
}
process.exit(stale);
