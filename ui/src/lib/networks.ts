// Every network as core registers it (`ui/src/lib/networks.json`, generated from core by
// src-tauri's bindings test): its form, its look — colours, logo, how a post shows there — and
// the demo account the sandbox serves for it. Components read networks here, never by name.
import type { LookView, NetworkView } from './bindings';
import json from './networks.json';

export const NETWORKS = json as NetworkView[];

const BY_ID = new Map(NETWORKS.map((n) => [n.network, n]));

/** How `network` is shown; `null` for an id no network has (a share page's app). */
export function lookOf(network: string): LookView | null {
  return BY_ID.get(network)?.look ?? null;
}

/** The networks "More demo accounts" adds an account of. */
export const DEMO_NETWORKS = NETWORKS.filter((n) => n.demo !== null).map((n) => n.network);
