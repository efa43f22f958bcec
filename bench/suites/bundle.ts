/**
 * 11. What a browser downloads: the production build split into the first load (what the sign-in
 * form needs: the entry chunk, its static imports and the CSS they pull in) and the chunks loaded
 * when first used (the chat behind the form, the admin view, and whatever else is a dynamic
 * import), each raw and gzipped, against the goal of at most 90 KB of first-load JavaScript.
 * It builds into a temporary folder with Vite's manifest, which names every chunk's static and
 * dynamic imports, so the split is read off the build rather than guessed from file names.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Options, SuiteResult } from '../lib/harness.ts';

/** The goal for the first load's JavaScript, gzipped, in KB (1,000 bytes, as Vite prints). */
const GOAL_KB = 90;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

interface FileSize {
  file: string;
  raw: number;
  gzip: number;
}

/** The chunks a chunk needs before it can run: itself and its static imports, transitively. */
function chunkClosure(manifest: Manifest, keys: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (key: string): void => {
    if (seen.has(key) || !manifest[key]) return;
    seen.add(key);
    for (const dep of manifest[key].imports ?? []) visit(dep);
  };
  keys.forEach(visit);
  return seen;
}

/** Those chunks' files, with the CSS they pull in. */
function closure(manifest: Manifest, keys: string[]): Set<string> {
  const files = new Set<string>();
  for (const key of chunkClosure(manifest, keys)) {
    const chunk = manifest[key] as ManifestChunk;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
  }
  return files;
}

const kb = (bytes: number): string => (bytes / 1000).toFixed(1);

export async function bundle(options: Options): Promise<SuiteResult> {
  const started = Date.now();
  const out = mkdtempSync(join(tmpdir(), 'p2sp-bundle-'));
  try {
    options.log('vite build (production) into a temporary folder, with its manifest');
    const build = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--outDir',
        out,
        '--emptyOutDir',
        '--manifest',
        'manifest.json',
        '--logLevel',
        'error',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`vite build failed:\n${build.stderr}`);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;

    const entries = Object.keys(manifest).filter((k) => manifest[k]?.isEntry);
    const first = closure(manifest, entries);
    const size = (file: string): FileSize => {
      const bytes = readFileSync(join(out, file));
      return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    };

    // Each dynamic entry is a "when first used" part: the files it adds to what is already there,
    // which is the first load plus the part that imports it (the admin view loads from the chat).
    const dynamic = Object.keys(manifest).filter((k) => manifest[k]?.isDynamicEntry);
    const importersOf = (key: string): string[] =>
      dynamic.filter(
        (other) =>
          other !== key &&
          // A part that needs this one statically is its dependant, not what loads it.
          !chunkClosure(manifest, [other]).has(key) &&
          [...chunkClosure(manifest, [other])].some((k) =>
            manifest[k]?.dynamicImports?.includes(key),
          ),
      );
    const lazy = dynamic.map((key) => {
      const chunk = manifest[key] as ManifestChunk;
      const present = new Set([...first, ...closure(manifest, importersOf(key))]);
      return {
        name: chunk.name ?? key,
        src: chunk.src ?? key,
        files: [...closure(manifest, [key])].filter((f) => !present.has(f)).map(size),
      };
    });
    const firstFiles = [...first].map(size);
    const js = (list: FileSize[]) => list.filter((f) => f.file.endsWith('.js'));
    const css = (list: FileSize[]) => list.filter((f) => f.file.endsWith('.css'));
    const sum = (list: FileSize[], k: 'raw' | 'gzip') => list.reduce((s, f) => s + f[k], 0);

    const firstJsGzip = sum(js(firstFiles), 'gzip');
    const rows: string[][] = [
      [
        'first load (sign-in form)',
        'index.html',
        kb(sum(js(firstFiles), 'raw')),
        kb(firstJsGzip),
        kb(sum(css(firstFiles), 'gzip')),
      ],
      ...lazy.map((l) => [
        `when first used: ${l.name}`,
        l.src,
        kb(sum(js(l.files), 'raw')),
        kb(sum(js(l.files), 'gzip')),
        kb(sum(css(l.files), 'gzip')),
      ]),
    ];
    return {
      name: 'bundle',
      title: '11. What the browser downloads: the first load and the chunks loaded when first used',
      conditions: [
        'npx vite build (production, the project config) into a temporary folder; sizes read off its manifest',
        'gzip: zlib level 9 of each file; KB = 1,000 bytes (as Vite prints)',
      ],
      header: ['part', 'source', 'JS raw KB', 'JS gzip KB', 'CSS gzip KB'],
      rows,
      notes: [
        `first-load JavaScript ${kb(firstJsGzip)} KB gzipped; goal at most ${GOAL_KB} KB: ${firstJsGzip / 1000 <= GOAL_KB ? 'met' : 'NOT met'}`,
        'a part loaded from another (the admin view, from the chat) counts only the files it adds to it',
      ],
      data: {
        firstLoadJsGzipBytes: firstJsGzip,
        firstLoadFiles: firstFiles.map((f) => f.file),
        lazy: lazy.map((l) => ({
          name: l.name,
          jsGzipBytes: sum(js(l.files), 'gzip'),
          files: l.files.map((f) => f.file),
        })),
        goalKb: GOAL_KB,
      },
      wallMs: Date.now() - started,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
