import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI lives in ui/; Tauri loads ui/dist (see src-tauri/tauri.conf.json).
export default defineConfig({
  root: 'ui',
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or data: URLs: the app's CSP allows neither.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { port: 1420, strictPort: true },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    root: '.',
    include: ['ui/src/**/*.test.ts'],
    environment: 'jsdom',
    setupFiles: ['ui/src/test-setup.ts'],
  },
});
