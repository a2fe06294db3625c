import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';
import { setLocale } from './lib/i18n.svelte';

afterEach(() => {
  cleanup();
  localStorage.clear();
});
await setLocale('en');
