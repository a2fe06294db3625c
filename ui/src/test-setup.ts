import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';
import { setLocale } from './lib/i18n.svelte';
import { resetComposer } from './lib/composer.svelte';

// jsdom lays nothing out, so it has no ResizeObserver; sizes stay 0 there.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

afterEach(() => {
  cleanup();
  localStorage.clear();
  resetComposer();
});
await setLocale('en');
