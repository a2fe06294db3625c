// A post's text as a network shows it: links, hashtags and mentions picked out (styled, never
// markup: every piece stays text), long links shortened the way the network shortens them, and a
// long caption folded behind "… more" where the network folds it.

export type Piece = { kind: 'text' | 'link' | 'tag' | 'mention'; text: string; href?: string };

const TOKEN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|(^|[\s(])(#[\p{L}\p{N}_]+)|(^|[\s(])(@[\w.-]+(?:@[\w.-]+\.[a-z]{2,})?)/giu;

import { lookOf } from './networks';

/** Whether `network` shows a card for the first link when the post has no pictures. */
export function showsLinkCard(network: string): boolean {
  return lookOf(network)?.linkCard ?? false;
}

/** A link as the network shows it: some drop the scheme and cut it, then "…". */
function shortLink(url: string, network: string): string {
  const max = lookOf(network)?.linkLength;
  if (!max) return url;
  const bare = url.replace(/^https?:\/\/(www\.)?/, '');
  return bare.length > max ? `${bare.slice(0, max)}…` : bare;
}

/** The text in pieces, as `network` shows it. */
export function pieces(text: string, network: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index ?? 0;
    let lead = '';
    let piece: Piece;
    if (m[1]) piece = { kind: 'link', text: shortLink(m[1], network), href: m[1] };
    else if (m[3]) {
      lead = m[2] ?? '';
      piece = { kind: 'tag', text: m[3] };
    } else {
      lead = m[4] ?? '';
      piece = { kind: 'mention', text: m[5] };
    }
    const before = text.slice(last, start) + lead;
    if (before) out.push({ kind: 'text', text: before });
    out.push(piece);
    last = start + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/** The part shown before "… more", and whether anything was folded away. */
export function fold(text: string, network: string): { shown: string; folded: boolean } {
  // About where the network folds a long text in the feed, behind "… more" (its own wording).
  const at = lookOf(network)?.foldAt;
  const chars = [...text];
  if (!at || chars.length <= at) return { shown: text, folded: false };
  // Fold at a word's end, as the apps do.
  const cut = chars.slice(0, at).join('');
  const space = cut.search(/\s\S*$/);
  return { shown: (space > at * 0.6 ? cut.slice(0, space) : cut).trimEnd(), folded: true };
}

/** The text's first link, as core reads it for a card. */
export function firstLink(text: string): string | null {
  const m = text.split(/\s+/).map((w) => w.replace(/[.,;:!?)]+$/, '')).find((w) => /^https?:\/\//.test(w));
  return m ?? null;
}
