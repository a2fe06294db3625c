import { describe, expect, it } from 'vitest';
import { fold, pieces, firstLink } from './richtext';

describe('richtext', () => {
  it('picks out links, hashtags and mentions, and keeps the rest as text', () => {
    expect(pieces('New menu! #bakery @ann@example.social https://example.com/menu/today.', 'mastodon')).toEqual([
      { kind: 'text', text: 'New menu! ' },
      { kind: 'tag', text: '#bakery' },
      { kind: 'text', text: ' ' },
      { kind: 'mention', text: '@ann@example.social' },
      { kind: 'text', text: ' ' },
      { kind: 'link', text: 'example.com/menu/today', href: 'https://example.com/menu/today' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('shortens a long link where the network does, and not where it does not', () => {
    const long = 'https://www.example.com/a/very/long/path/to/a/page/that/goes/on';
    expect(pieces(long, 'bluesky')[0].text).toBe('example.com/a/very/long/path/t…');
    expect(pieces(long, 'discord')[0].text).toBe(long);
  });

  it('keeps markup as text', () => {
    expect(pieces('<b>bold</b> #tag', 'mastodon')[0]).toEqual({ kind: 'text', text: '<b>bold</b> ' });
  });

  it('folds a long Instagram caption at a word, and never a short one', () => {
    const caption = 'word '.repeat(40).trim();
    const folded = fold(caption, 'instagram');
    expect(folded.folded).toBe(true);
    expect([...folded.shown].length).toBeLessThanOrEqual(125);
    expect(folded.shown.endsWith('word')).toBe(true);
    expect(fold('Short', 'instagram')).toEqual({ shown: 'Short', folded: false });
    expect(fold(caption, 'mastodon').folded).toBe(false);
  });

  it('finds the first link as core does', () => {
    expect(firstLink('See https://example.com/x, and more')).toBe('https://example.com/x');
    expect(firstLink('no link')).toBeNull();
  });
});
