import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import QuickShare from './views/QuickShare.svelte';
import { tauriBackend } from './lib/backend';
import { applyTheme } from './lib/theme';

// The OS's theme until the settings are read, so a dark desktop never flashes white.
applyTheme('system');

const quick = new URLSearchParams(window.location.search).get('window') === 'quick';
const target = document.getElementById('app');
if (target) {
  mount(quick ? QuickShare : App, { target, props: { backend: tauriBackend } });
}
