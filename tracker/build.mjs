// Builds assets/footfall.js from src/: esbuild bundles the modules into one script, terser
// minifies it. `--check` builds in memory and fails if the committed file differs, so the
// output is never edited by hand (scripts/test.sh runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = root + 'assets/footfall.js';

const bundle = await build({
  entryPoints: [root + 'tracker/src/index.js'],
  bundle: true,
  format: 'iife',
  // Optional chaining and ?? are the newest syntax used: browsers from 2020 on.
  target: 'es2020',
  write: false,
  logLevel: 'error',
});

const minified = await minify(bundle.outputFiles[0].text, {
  ecma: 2020,
  toplevel: true,
  // booleans_as_integers: the only booleans in the source are option flags (passive, capture,
  // keepalive, "always"), for which 1 does as well as true.
  compress: { passes: 3, unsafe_arrows: true, pure_getters: true, booleans_as_integers: true, inline: 1 },
  mangle: true,
  format: { comments: false },
});

// The compile hint asks V8 to compile every function eagerly: they all run at load.
const text =
  '/*! footfall.js: generated from tracker/src/ by scripts/build-tracker.sh */\n' +
  '//# allFunctionsCalledOnLoad\n' +
  minified.code +
  '\n';

if (process.argv.includes('--check')) {
  if (readFileSync(output, 'utf8') != text) {
    console.error(
      'assets/footfall.js is not what tracker/src/ builds to: run scripts/build-tracker.sh and commit the result',
    );
    process.exit(1);
  }
} else {
  writeFileSync(output, text);
}
