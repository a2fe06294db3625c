import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import QuickShare from './QuickShare.svelte';
import { FakeBackend, account } from '../lib/fake-backend';

describe('QuickShare', () => {
  it('prefills the clipboard, offers the recent target set, and shares', async () => {
    const a = account({ name: 'Demo Mastodon' });
    const b = account({ name: 'Demo Discord', network: 'discord' });
    localStorage.setItem('fanout.recentTargets', JSON.stringify([[a.id, b.id]]));
    const backend = new FakeBackend({ accounts: [a, b] });
    render(QuickShare, { props: { backend } });
    await waitFor(() => expect(screen.getByLabelText('Post text')).toHaveValue('from the clipboard'));
    expect(screen.getByRole('button', { name: 'Demo Mastodon + Demo Discord' })).toBeInTheDocument();
    const share = screen.getByRole('button', { name: 'Share' });
    await waitFor(() => expect(share).toBeEnabled());
    await userEvent.setup().click(share);
    await waitFor(() => expect(backend.called('share')).toHaveLength(1));
    expect((backend.called('share')[0][0] as { targets: string[] }).targets).toEqual([a.id, b.id]);
    expect(await screen.findByText('Shared — follow it in the Outbox.')).toBeInTheDocument();
  });
});
