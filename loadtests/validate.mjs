// Offline check of the k6 scripts without k6: stub the k6 modules, import each scenario with
// Node, print its `options` as JSON. Usage: node validate.mjs <dir with the scripts> <stub dir>
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [src, work] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(work, { recursive: true });
const stubs = {
  'k6/http': 'export default { get() { return { status: 200 }; }, post() { return { status: 200 }; } };',
  k6: 'export function check() { return true; } export function group(n, f) { return f(); } export function sleep() {}',
};
for (const [name, body] of Object.entries(stubs)) {
  writeFileSync(join(work, `${name.replace('/', '_')}.mjs`), body);
}
globalThis.__ENV = {};
const out = {};
for (const file of readdirSync(src).filter((f) => f.endsWith('.js')).sort()) {
  let code = readFileSync(join(src, file), 'utf8');
  code = code.replace(/from '(k6(?:\/http)?)'/g, (_, m) => `from './${m.replace('/', '_')}.mjs'`)
    .replace(/from '\.\/([a-z0-9_-]+)\.js'/g, (_, m) => `from './${m}.mjs'`);
  writeFileSync(join(work, file.replace(/\.js$/, '.mjs')), code);
}
for (const file of readdirSync(src).filter((f) => f.endsWith('.js')).sort()) {
  const mod = await import(pathToFileURL(join(work, file.replace(/\.js$/, '.mjs'))).href);
  out[file] = { options: mod.options ?? null, hasDefault: typeof mod.default === 'function' };
}
process.stdout.write(JSON.stringify(out));
