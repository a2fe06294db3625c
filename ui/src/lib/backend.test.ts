// The real bindings over a mocked IPC: each Backend call reaches the command Rust registers, with
// the argument names Rust expects, and a `{code, message}` error becomes a BackendError.
import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { BackendError, tauriBackend } from './backend';

afterEach(() => clearMocks());

describe('tauriBackend over IPC', () => {
  it('invokes the commands by their Rust names with camelCase arguments', async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      if (cmd === 'list_accounts') return [{ id: 'a1', name: 'Demo Mastodon' }];
      if (cmd === 'share') return { postId: 'p1', deliveries: ['d1'] };
      if (cmd === 'resolve_delivery') return null;
      return null;
    });
    expect(await tauriBackend.listAccounts()).toEqual([{ id: 'a1', name: 'Demo Mastodon' }]);
    const draft = {
      text: 'hi',
      media: [{ id: 'm1', altText: 'a hill', focusX: 0.2, focusY: 0.8 }],
      targets: ['a1'],
      texts: [{ accountId: 'a1', text: 'own' }],
      story: false,
      scheduledAt: null,
    };
    expect(await tauriBackend.share(draft)).toEqual({ postId: 'p1', deliveries: ['d1'] });
    await tauriBackend.resolveDelivery('d1', true);
    expect(seen.map(([c]) => c)).toEqual(['list_accounts', 'share', 'resolve_delivery']);
    expect(seen[1][1]).toMatchObject({ draftInput: draft });
    expect(seen[2][1]).toMatchObject({ id: 'd1', sent: true });
  });

  it('turns an error from Rust into a BackendError with its code', async () => {
    mockIPC(() => {
      throw { code: 'unknown_delivery', message: "no delivery 'x' in the outbox" };
    });
    const error = await tauriBackend.retryDelivery('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'unknown_delivery', message: "no delivery 'x' in the outbox" });
  });

  it('sends attachment bytes as a list of numbers', async () => {
    let got: unknown;
    mockIPC((cmd, args) => {
      got = args;
      return { id: 'm1', name: 'a.png', mime: 'image/png', bytes: 3, thumbnail: null };
    });
    await tauriBackend.attachBytes('a.png', new Uint8Array([1, 2, 3]));
    expect(got).toMatchObject({ name: 'a.png', data: [1, 2, 3] });
  });
});
