/**
 * The package as npm would publish it: `npm run check` builds it (`tsc -p packages/sdk`), and this spec
 * checks that what package.json points at exists, imports as an ES module, and that `npm pack` would ship
 * the built files, the types and the README (and not the sources or this spec).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(import.meta.dirname);
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; exports: { '.': { import: string; types: string } }; dependencies: Record<string, string> };

describe('the @spine/sdk package', () => {
  it('is built: its exports point at files that exist, and the module exports the API the README shows', async () => {
    const entry = path.join(dir, pkg.exports['.'].import);
    expect(existsSync(entry), `${entry} (run npm run build:sdk)`).toBe(true);
    expect(existsSync(path.join(dir, pkg.exports['.'].types))).toBe(true);
    const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    expect(typeof mod.createSpine).toBe('function');
    expect(typeof mod.RetryableError).toBe('function');
    expect(typeof mod.NonRetryableError).toBe('function');
    const spine = (mod.createSpine as (o: { url: string; apiKey: string }) => Record<string, unknown>)({ url: 'http://127.0.0.1:1', apiKey: 'spk_test' });
    expect(typeof spine.agent).toBe('function');
    expect(typeof spine.subscribe).toBe('function');
  });

  it('packs the built files, the types and the README, not the sources', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
    const [{ name, files }] = JSON.parse(out) as [{ name: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(name).toBe('@spine/sdk');
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(paths.filter((p) => p.startsWith('src/') || p.endsWith('.test.ts'))).toEqual([]);
    expect(Object.keys(pkg.dependencies)).toEqual(['eventsource-parser']);
  });
});
