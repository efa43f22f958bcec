import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * simple-peer (and readable-stream under it) is a CommonJS package written for Node: it requires
 * `buffer` and `events` and uses the free globals `process` (process.nextTick) and `global`.
 * Rather than patch globals on `window` from a shim module that must run before anything else, the
 * bundler resolves those names to the npm browser ports and injects an import wherever a module
 * uses the free `process`/`Buffer` identifier; `global` is rewritten to `globalThis`. Only modules
 * that mention them pay for them, and app code cannot come to rely on Node globals by accident.
 */
const nodeInject = {
  process: 'process',
  Buffer: ['buffer', 'Buffer'],
} satisfies Record<string, string | [string, string]>;

export default defineConfig({
  root: 'web',
  // The Svelte config sits at the repository root (svelte-check reads it there), not in `root`.
  plugins: [
    svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) }),
    // The interface's words: messages/*.json compiled into web/src/paraglide (generated, not in
    // git) when a build, the dev server or vitest starts, and again when a message file changes.
    // The same output as `npm run i18n` (which `npm run check` runs before the type checks):
    // outside production the plugin would write one module per language instead, and a build
    // that finds its inputs unchanged skips compiling and bundles whatever the folder holds, so
    // after a test run the first load would carry every message.
    paraglideVitePlugin({
      project: fileURLToPath(new URL('./project.inlang', import.meta.url)),
      outdir: fileURLToPath(new URL('./web/src/paraglide', import.meta.url)),
      outputStructure: 'message-modules',
    }),
  ],
  resolve: {
    // Exact matches; the trailing slash makes Node's resolution pick the npm package over the
    // built-in module of the same name.
    alias: [
      { find: /^buffer$/, replacement: 'buffer/' },
      { find: /^events$/, replacement: 'events/' },
      { find: /^process$/, replacement: 'process/browser.js' },
    ],
  },
  define: { global: 'globalThis' },
  // The dev server pre-bundles dependencies separately; give it the same injections.
  optimizeDeps: { rolldownOptions: { transform: { inject: nodeInject } } },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { transform: { inject: nodeInject } },
  },
  server: {
    // `npm run dev` for the client proxies the API and sockets to a local signaling server.
    proxy: {
      '/api': 'http://localhost:8080',
      '/healthz': 'http://localhost:8080',
      '/socket.io': { target: 'http://localhost:8080', ws: true },
    },
  },
  test: {
    root: '.',
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // A browser, a WebRTC handshake and a server sit between an action and what it shows.
          expect: { poll: { timeout: 15_000, interval: 50 } },
        },
      },
    ],
  },
});
