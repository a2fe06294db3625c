import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import History from './History.svelte';
import { FakeBackend, account, delivery } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';

describe('History', () => {
  it('lists sent posts with permalinks, searches them and filters by account', async () => {
    const mastodon = account({ name: 'Demo Mastodon' });
    const discord = account({ name: 'Demo Discord', network: 'discord' });
    const backend = new FakeBackend({
      accounts: [mastodon, discord],
      outbox: [
        delivery({ id: 'a', state: 'sent', postText: 'Summer sale', remoteUrl: 'http://x/1' }),
        delivery({ id: 'b', state: 'sent', postText: 'Winter news', accountId: discord.id, accountName: 'Demo Discord' }),
        delivery({ id: 'c', state: 'queued', postText: 'Not yet' }),
      ],
    });
    renderView(History, { accounts: backend.accounts }, backend);
    expect(await screen.findByText('Summer sale')).toBeInTheDocument();
    expect(screen.getByText('Winter news')).toBeInTheDocument();
    expect(screen.queryByText('Not yet')).toBeNull();
    const user = userEvent.setup();
    await user.type(screen.getByPlaceholderText('Search sent posts'), 'winter');
    await waitFor(() => expect(screen.queryByText('Summer sale')).toBeNull());
    expect(screen.getByText('Winter news')).toBeInTheDocument();
    await user.clear(screen.getByPlaceholderText('Search sent posts'));
    await user.selectOptions(screen.getByLabelText('Account'), mastodon.id);
    await waitFor(() => expect(screen.queryByText('Winter news')).toBeNull());
    await user.click(screen.getByRole('link', { name: 'Open post on Demo Mastodon' }));
    expect(backend.called('openLink')).toEqual([['http://x/1']]);
  });
});
