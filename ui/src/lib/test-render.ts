// Renders a view with a (fake) Backend in context, as App does with the real one, and the toast
// region App shows beside it.
import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { BACKEND_KEY, type Backend } from './backend';
import Toasts from '../components/Toasts.svelte';

export function renderView<P extends Record<string, unknown>>(view: Component<P>, props: P, backend: Backend) {
  render(Toasts);
  const options = { props, context: new Map([[BACKEND_KEY, backend]]) };
  return render(view, options as never);
}
