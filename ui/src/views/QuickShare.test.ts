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

  it('says nothing is wrong right after a share, types into the text at once, and closes with Esc', async () => {
    const a = account({ name: 'Demo Mastodon' });
    localStorage.setItem('fanout.recentTargets', JSON.stringify([[a.id]]));
    const backend = new FakeBackend({ accounts: [a] });
    render(QuickShare, { props: { backend } });
    const box = screen.getByLabelText('Post text');
    await waitFor(() => expect(box).toHaveValue('from the clipboard'));
    expect(box).toHaveFocus();
    const user = userEvent.setup();
    const share = screen.getByRole('button', { name: 'Share' });
    await waitFor(() => expect(share).toBeEnabled());
    await user.click(share);
    expect((await screen.findAllByText('Shared — follow it in the Outbox.')).length).toBeGreaterThan(0);
    await waitFor(() => expect(backend.called('reviewDraft').length).toBeGreaterThan(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(screen.queryByText(/The post is empty/)).toBeNull();
    await user.keyboard('{Escape}');
    expect(backend.called('closeWindow')).toHaveLength(1);
  });

  it('with no account to share to, says so and leads to the accounts', async () => {
    localStorage.removeItem('fanout.recentTargets');
    const off = account({ name: 'Off', enabled: false });
    const backend = new FakeBackend({ accounts: [off] });
    render(QuickShare, { props: { backend } });
    expect(await screen.findByText('No account is switched on to share to yet.')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Add or switch on one in Fanout…' }));
    expect(backend.called('showMain')).toEqual([['accounts']]);
  });

  // Bug 7: quick share had no visible way to add a photo.
  it('adds a photo with a button of its own, and adds the post to the queue where posting times are set', async () => {
    const a = account({ id: 'acc-m', name: 'Demo Mastodon' });
    const backend = new FakeBackend({ accounts: [a] });
    backend.slots = [{ id: '1', days: [1, 2, 3, 4, 5, 6, 7], time: '23:59', zone: 'UTC', accounts: ['acc-m'], next: null }];
    render(QuickShare, { props: { backend } });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Add photos or videos' }));
    expect(await screen.findByAltText('beach.jpg')).toBeInTheDocument();
    await user.click(screen.getByLabelText(/Demo Mastodon/));
    await user.type(screen.getByLabelText('Post text'), 'From the tray');
    await waitFor(() => expect(screen.getByTestId('quick-queue')).toBeEnabled());
    await user.click(screen.getByTestId('quick-queue'));
    await waitFor(() => expect(backend.called('addToQueue')).toHaveLength(1));
    expect(await screen.findByText(/^Added to the queue for /)).toBeInTheDocument();
  });
});
