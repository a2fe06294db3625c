import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Queue from './Queue.svelte';
import { FakeBackend, account } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';
import { setLocale } from '../lib/i18n.svelte';

describe('Queue', () => {
  it('adds a posting time for chosen weekdays and accounts, lists it with its next time, and removes it', async () => {
    const shop = account({ id: 'acc-shop', name: 'Bakery Mastodon' });
    const backend = new FakeBackend({ accounts: [shop, account({ id: 'acc-d', name: 'Team Discord', network: 'discord' })] });
    renderView(Queue, { accounts: backend.accounts }, backend);
    const user = userEvent.setup();
    expect(await screen.findByTestId('no-slots')).toBeInTheDocument();
    // Monday to Friday is preset; add Saturday, take Friday off.
    await user.click(screen.getByLabelText('Saturday'));
    await user.click(screen.getByLabelText('Friday'));
    const time = screen.getByTestId('slot-time');
    await user.clear(time);
    await user.type(time, '10:15');
    await user.click(screen.getByTestId('slot-add'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Choose at least one account.');
    await user.click(screen.getByTestId('slot-account-Bakery Mastodon'));
    await user.click(screen.getByTestId('slot-add'));
    await waitFor(() => expect(backend.called('addQueueSlot')).toHaveLength(1));
    expect(backend.called('addQueueSlot')[0][0]).toMatchObject({ days: [1, 2, 3, 4, 6], time: '10:15', accounts: ['acc-shop'] });
    const row = await screen.findByTestId('slot-row');
    expect(row).toHaveTextContent('10:15');
    expect(row).toHaveTextContent('Bakery Mastodon');
    expect(row).toHaveTextContent(/next /);
    await user.click(within(row).getByRole('button', { name: /Remove the posting time/ }));
    await waitFor(() => expect(backend.slots).toEqual([]));
  });

  it('speaks Dutch', async () => {
    await setLocale('nl');
    const backend = new FakeBackend({ accounts: [account()] });
    renderView(Queue, { accounts: backend.accounts }, backend);
    expect(await screen.findByRole('heading', { name: 'Wachtrij' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Postmoment toevoegen' })).toBeInTheDocument();
    await setLocale('en');
  });
});
