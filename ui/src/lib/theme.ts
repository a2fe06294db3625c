// `light` and `dark` are fixed; `system` follows the OS's prefers-color-scheme, also when it
// changes while the app runs. The resolved theme is `data-theme` on <html>, which app.css reads.
let followSystem: MediaQueryList | null = null;

function systemTheme(): 'light' | 'dark' {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function onSystemChange() {
  document.documentElement.dataset.theme = systemTheme();
}

export function applyTheme(theme: string): void {
  followSystem?.removeEventListener('change', onSystemChange);
  followSystem = null;
  if (theme === 'light' || theme === 'dark') {
    document.documentElement.dataset.theme = theme;
    return;
  }
  document.documentElement.dataset.theme = systemTheme();
  if (typeof matchMedia === 'function') {
    followSystem = matchMedia('(prefers-color-scheme: dark)');
    followSystem.addEventListener('change', onSystemChange);
  }
}
