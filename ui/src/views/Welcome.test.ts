import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Welcome from './Welcome.svelte';
import { FakeBackend } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';

describe('Welcome', () => {
  it('starts the demo accounts and goes on to compose', async () => {
    const backend = new FakeBackend();
    const onDone = vi.fn();
    renderView(Welcome, { onDone }, backend);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try with demo accounts' }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith('compose'));
    expect(backend.accounts.map((a) => a.name)).toEqual(['Demo Mastodon', 'Demo Discord', 'Demo Team Chat']);
  });

  it('offers linking one’s own accounts instead', async () => {
    const onDone = vi.fn();
    renderView(Welcome, { onDone }, new FakeBackend());
    await userEvent.setup().click(screen.getByRole('button', { name: 'Link my own accounts' }));
    expect(onDone).toHaveBeenCalledWith('accounts');
  });
});
