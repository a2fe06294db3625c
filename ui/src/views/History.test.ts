import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import History from './History.svelte';
import { FakeBackend, account, delivery } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';
import { setLocale } from '../lib/i18n.svelte';

const mastodon = account({ name: 'Demo Mastodon' });
const discord = account({ name: 'Demo Discord', network: 'discord' });
const bluesky = account({ name: 'Demo Bluesky', network: 'bluesky' });
const whatsapp = account({ name: 'Demo WhatsApp', network: 'whatsapp' });
const sentAt = Date.UTC(2026, 10, 22, 9, 5);

/** A post that went out to every account given, with a permalink on each. */
function sentPost(postId: string, text: string, to: (typeof mastodon)[]) {
  return to.map((a, i) =>
    delivery({
      id: `${postId}-${i}`,
      postId,
      accountId: a.id,
      accountName: a.name,
      network: a.network,
      state: 'sent',
      postText: text,
      remoteUrl: `http://${a.network}.test/${postId}`,
      updatedAt: sentAt + i * 1000,
    }),
  );
}

/** The history's rows, one per post. */
function posts() {
  return screen.queryAllByTestId('history-post');
}

afterEach(async () => {
  await setLocale('en');
});

describe('History', () => {
  it('shows a post sent to three accounts as one row with three linked targets', async () => {
    const backend = new FakeBackend({
      accounts: [mastodon, discord, bluesky],
      outbox: sentPost('p1', 'Summer sale', [mastodon, discord, bluesky]),
    });
    renderView(History, { accounts: backend.accounts }, backend);
    const row = await screen.findByRole('listitem', { name: /Summer sale.*3 places/ });
    expect(posts(), 'three deliveries of one post are one row, not three').toHaveLength(1);
    expect(within(row).getAllByTestId('history-target')).toHaveLength(3);
    for (const name of ['Demo Mastodon', 'Demo Discord', 'Demo Bluesky']) {
      expect(within(row).getByRole('link', { name: `Open on ${name}` }), `${name} links to the post there`).toBeInTheDocument();
    }
    expect(within(row).queryByText('Sent'), 'a target that simply went out carries no state').toBeNull();
    expect(within(row).queryByRole('button', { name: 'Share again' }), 'no button where nothing would open the composer').toBeNull();
    const user = userEvent.setup();
    await user.click(within(row).getByRole('link', { name: 'Open on Demo Discord' }));
    expect(backend.called('openLink')).toEqual([['http://discord.test/p1']]);
  });

  it('escapes a post’s text instead of reading it as HTML', async () => {
    const backend = new FakeBackend({ accounts: [mastodon], outbox: sentPost('p1', '<b>bold</b> & <img src=x>', [mastodon]) });
    renderView(History, { accounts: backend.accounts }, backend);
    expect(await screen.findByText('<b>bold</b> & <img src=x>')).toBeInTheDocument();
    expect(document.querySelector('.post b, .post img'), 'the text is never markup').toBeNull();
  });

  it('collapses a WhatsApp post’s recipients into one target with how many it reached', async () => {
    const people = ['Ann', 'Bob', 'Cas', 'Dee', 'Eve'].map((who, i) =>
      delivery({
        id: `w${i}`,
        postId: 'p1',
        accountId: whatsapp.id,
        accountName: whatsapp.name,
        network: 'whatsapp',
        recipient: who,
        state: who === 'Eve' ? 'failed' : 'sent',
        postText: 'Opening hours',
        remoteUrl: who === 'Eve' ? null : `https://wa.me/${i}`,
        updatedAt: sentAt,
      }),
    );
    const backend = new FakeBackend({ accounts: [mastodon, whatsapp], outbox: [...sentPost('p1', 'Opening hours', [mastodon]), ...people] });
    renderView(History, { accounts: backend.accounts }, backend);
    const row = await screen.findByRole('listitem', { name: /Opening hours.*2 places/ });
    const targets = within(row).getAllByTestId('history-target');
    expect(targets, 'five messages on one WhatsApp number are one target').toHaveLength(2);
    const messaged = targets.find((t) => t.textContent?.includes('Demo WhatsApp'));
    expect(messaged).toHaveTextContent('Demo WhatsApp → 4 people');
    expect(messaged, 'the one it did not reach is said').toHaveTextContent('Failed (1)');
    expect(within(messaged!).queryByRole('link'), 'a chat with one person is not the post').toBeNull();
    expect(within(messaged!).getByRole('img', { name: 'WhatsApp' })).toBeInTheDocument();
  });

  it('says where a post did not simply go out', async () => {
    const backend = new FakeBackend({
      accounts: [mastodon, discord, bluesky],
      outbox: [
        ...sentPost('p1', 'Summer sale', [mastodon]),
        delivery({ id: 'f', postId: 'p1', accountId: discord.id, accountName: discord.name, network: 'discord', state: 'failed', postText: 'Summer sale' }),
        delivery({ id: 'c', postId: 'p1', accountId: bluesky.id, accountName: bluesky.name, network: 'bluesky', state: 'cancelled', postText: 'Summer sale' }),
      ],
    });
    renderView(History, { accounts: backend.accounts }, backend);
    const row = await screen.findByRole('listitem', { name: /Summer sale.*3 places/ });
    const [sent, failed, cancelled] = within(row).getAllByTestId('history-target');
    expect(sent).toHaveTextContent('Demo Mastodon');
    expect(failed).toHaveTextContent('Demo Discord');
    expect(failed).toHaveTextContent('Failed');
    expect(cancelled).toHaveTextContent('Demo Bluesky');
    expect(cancelled).toHaveTextContent('Cancelled');
    expect(within(row).getAllByRole('link'), 'only what went out has a link').toHaveLength(1);
  });

  it('searches and filters by account, still one row per post', async () => {
    const backend = new FakeBackend({
      accounts: [mastodon, discord],
      outbox: [
        ...sentPost('p1', 'Summer sale', [mastodon, discord]),
        ...sentPost('p2', 'Winter news', [discord]),
        delivery({ id: 'q', postId: 'p3', state: 'queued', postText: 'Not yet' }),
      ],
    });
    renderView(History, { accounts: backend.accounts }, backend);
    expect(await screen.findByText('Summer sale')).toBeInTheDocument();
    expect(screen.getByText('Winter news')).toBeInTheDocument();
    expect(screen.queryByText('Not yet'), 'what has not gone out is not history').toBeNull();
    expect(posts()).toHaveLength(2);
    const user = userEvent.setup();
    const search = screen.getByPlaceholderText('Search sent posts');
    await user.type(search, 'winter');
    await waitFor(() => expect(screen.queryByText('Summer sale')).toBeNull());
    expect(posts()).toHaveLength(1);
    expect(backend.called('history').at(-1)?.[0], 'the search is the backend’s, after typing stops').toMatchObject({ search: 'winter' });
    expect(
      backend.called('history').filter(([q]) => (q as { search: string | null }).search?.startsWith('w')),
      'typing is not a query per key',
    ).toHaveLength(1);
    await user.type(search, 'zzz');
    expect(await screen.findByText('No sent posts match.')).toBeInTheDocument();
    await user.clear(search);
    await user.selectOptions(screen.getByLabelText('Account'), mastodon.id);
    const row = await screen.findByRole('listitem', { name: /Summer sale/ });
    expect(screen.queryByText('Winter news'), 'Demo Mastodon never had the winter news').toBeNull();
    expect(within(row).getAllByTestId('history-target'), 'a post found by one account still shows everywhere it went').toHaveLength(2);
  });

  it('puts a post back into the composer as a new one with Share again', async () => {
    const backend = new FakeBackend({ accounts: [mastodon, discord], outbox: sentPost('p7', 'Summer sale', [mastodon, discord]) });
    const openPost = vi.fn();
    renderView(History, { accounts: backend.accounts, openPost }, backend);
    const row = await screen.findByRole('listitem', { name: /Summer sale/ });
    await userEvent.setup().click(within(row).getByRole('button', { name: 'Share again' }));
    expect(openPost).toHaveBeenCalledWith('p7', 'duplicate');
  });

  it('shows a post that goes out while the history is open', async () => {
    const backend = new FakeBackend({ accounts: [mastodon], outbox: sentPost('p1', 'Summer sale', [mastodon]) });
    renderView(History, { accounts: backend.accounts }, backend);
    await screen.findByText('Summer sale');
    const [late] = sentPost('p2', 'Just out', [mastodon]);
    backend.outbox.unshift(late);
    backend.emitOutbox([late]);
    expect(await screen.findByText('Just out')).toBeInTheDocument();
  });

  it('speaks Dutch', async () => {
    await setLocale('nl');
    const people = [0, 1, 2, 3].map((i) =>
      delivery({ id: `w${i}`, postId: 'p1', accountId: whatsapp.id, accountName: whatsapp.name, network: 'whatsapp', recipient: `+3161234567${i}`, state: 'sent', postText: 'Zomeruitverkoop', mediaCount: 2, updatedAt: sentAt }),
    );
    const backend = new FakeBackend({ accounts: [mastodon, whatsapp], outbox: [...sentPost('p1', 'Zomeruitverkoop', [mastodon]).map((d) => ({ ...d, mediaCount: 2 })), ...people] });
    renderView(History, { accounts: backend.accounts, openPost: vi.fn() }, backend);
    const row = await screen.findByRole('listitem', { name: /Zomeruitverkoop.*gedeeld op 2 plekken/ });
    expect(within(row).getByRole('link', { name: 'Openen op Demo Mastodon' })).toBeInTheDocument();
    expect(within(row).getByText('Demo WhatsApp → 4 personen')).toBeInTheDocument();
    expect(within(row).getByText(/2 bijlagen/)).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Opnieuw delen' })).toBeInTheDocument();
    expect(within(row).getByRole('list', { name: 'Waar het heen ging' })).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByPlaceholderText('Verstuurde berichten doorzoeken'), 'xyz');
    expect(await screen.findByText('Geen verstuurde berichten gevonden.')).toBeInTheDocument();
  });
});
