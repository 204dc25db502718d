// parse.mjs DIR FILE...: parses each FILE (one Mermaid diagram) with
// mermaid.parse, Mermaid's own parser (the one that renders it), headless:
// jsdom gives it the window DOMPurify needs. DIR is where hack/mermaid.sh
// installed package-lock.json's packages (DIR/node_modules). Prints one
// JSON array: {file, ok, type, error} per file; exits 0 once every file
// was tried, whatever they hold (the caller judges), non-zero when the
// parser could not be loaded.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, ...files] = process.argv.slice(2);
const require = createRequire(join(dir, 'node_modules', 'x.js'));
const { JSDOM } = require('jsdom');
const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);
mermaid.initialize({ startOnLoad: false });

const results = [];
for (const file of files) {
  try {
    const r = await mermaid.parse(readFileSync(file, 'utf8'));
    results.push({ file, ok: true, type: r.diagramType });
  } catch (e) {
    results.push({ file, ok: false, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify(results) + '\n');
