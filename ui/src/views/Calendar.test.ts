import { describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Calendar from './Calendar.svelte';
import { FakeBackend, account, delivery } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';
import { setLocale } from '../lib/i18n.svelte';

describe('Calendar', () => {
  it('puts scheduled and sent shares on their days, in a week and a month view', async () => {
    const now = new Date();
    const noon = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 12, 0).getTime();
    const morning = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 8, 0).getTime();
    const backend = new FakeBackend({
      outbox: [
        delivery({ id: 'a', postId: 'p1', state: 'queued', postText: 'Planned post', scheduledAt: noon }),
        delivery({ id: 'b', postId: 'p2', state: 'sent', postText: 'Done post', updatedAt: morning }),
      ],
    });
    renderView(Calendar, {}, backend);
    expect(await screen.findByText('Planned post')).toBeInTheDocument();
    expect(screen.getByText('Done post')).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Month' }));
    expect(screen.getByRole('button', { name: 'Month' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByText('Planned post')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(screen.queryByText('Done post')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Today' }));
    expect(screen.getByText('Done post')).toBeInTheDocument();
  });
});

describe('Calendar rescheduling', () => {
  it('moves a scheduled share by dragging it to another day, keeping its time', async () => {
    const now = new Date();
    const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7), 9, 30);
    const backend = new FakeBackend({
      outbox: [delivery({ id: 'a', postId: 'p1', state: 'queued', postText: 'Planned post', scheduledAt: monday.getTime() })],
    });
    renderView(Calendar, {}, backend);
    const entry = await screen.findByRole('button', { name: /Planned post/ });
    const wednesday = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 2).getTime();
    const target = document.querySelector(`[data-day="${wednesday}"]`) as HTMLElement;
    const data = { setData: () => {}, getData: () => 'p1' };
    await fireEvent.dragStart(entry, { dataTransfer: data });
    await fireEvent.dragOver(target, { dataTransfer: data });
    await fireEvent.drop(target, { dataTransfer: data });
    await waitFor(() => expect(backend.called('reschedulePost')).toHaveLength(1));
    const expected = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 2, 9, 30).getTime();
    expect(backend.called('reschedulePost')[0]).toEqual(['p1', expected]);
    expect(await screen.findByText(/^Moved to/)).toBeInTheDocument();
  });

  it('reschedules from the keyboard too, and never moves a sent share', async () => {
    // jsdom's week (en-US) starts on Sunday: Wednesday and Thursday share the week shown.
    const now = new Date();
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate() - now.getDay() + 3, 12, 0).getTime();
    const backend = new FakeBackend({
      outbox: [
        delivery({ id: 'a', postId: 'p1', state: 'queued', postText: 'Planned post', scheduledAt: at }),
        delivery({ id: 'b', postId: 'p2', state: 'sent', postText: 'Done post', updatedAt: at }),
      ],
    });
    renderView(Calendar, {}, backend);
    const user = userEvent.setup();
    // Alt+→ on a card moves it a day.
    (await screen.findByRole('button', { name: /Planned post/ })).focus();
    await user.keyboard('{Alt>}{ArrowRight}{/Alt}');
    const thursday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - now.getDay() + 4, 12, 0).getTime();
    await waitFor(() => expect(backend.called('reschedulePost')[0]).toEqual(['p1', thursday]));
    // Enter opens it; the panel moves it to a date and time typed in.
    screen.getByRole('button', { name: /Planned post/ }).focus();
    await user.keyboard('{Enter}');
    const panel = await screen.findByTestId('entry-panel');
    const input = within(panel).getByLabelText('New date and time');
    await user.clear(input);
    await user.type(input, '2031-01-02T08:15');
    await user.click(within(panel).getByRole('button', { name: 'Move' }));
    await waitFor(() => expect(backend.called('reschedulePost')[1]).toEqual(['p1', new Date(2031, 0, 2, 8, 15).getTime()]));
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('entry-panel')).toBeNull();
    // A sent post opens too, with nothing that would move or change it.
    await user.click(screen.getByRole('button', { name: /Done post/ }));
    const sent = await screen.findByTestId('entry-panel');
    expect(within(sent).queryByLabelText('New date and time')).toBeNull();
    expect(within(sent).queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(within(sent).getByRole('button', { name: 'Duplicate' })).toBeInTheDocument();
  });
});

// Bug 2: each day column stretched to its longest post, and the month had no weekday headers.
describe('Calendar layout', () => {
  it('shows a month as six full weeks under weekday headers that start where the locale’s week starts', async () => {
    const now = new Date();
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 12, 0).getTime();
    const backend = new FakeBackend({
      outbox: [delivery({ postId: 'p1', state: 'queued', postText: 'x'.repeat(400), scheduledAt: at })],
    });
    renderView(Calendar, {}, backend);
    await screen.findByRole('button', { name: /xxxx/ });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Month' }));
    const grid = screen.getByTestId('calendar-grid');
    expect(grid.children).toHaveLength(42);
    const headers = [...document.querySelectorAll('.weekdays div')].map((d) => d.textContent);
    expect(headers).toHaveLength(7);
    // jsdom speaks en-US: the week starts on Sunday.
    expect(headers[0]).toBe('Sun');
    await setLocale('nl');
    await waitFor(() => expect(document.querySelector('.weekdays div')?.textContent).toBe('ma'));
    await setLocale('en');
    // That no column widens past its share is measured in the real window (the e2e run, at 900 and 1920 px).
  });
});

// Bug 3: an entry could not be opened; the only action was one Cancel button per account.
describe('Calendar entry', () => {
  it('opens a post in a side panel with one set of actions for the whole post', async () => {
    const at = Date.now() + 3600_000;
    const backend = new FakeBackend({
      outbox: ['Demo Mastodon', 'Demo Discord', 'Demo Bluesky', 'Demo Telegram', 'Demo Matrix', 'Demo Slack', 'Demo Teams'].map((name, i) =>
        delivery({ id: `d${i}`, postId: 'p1', accountId: `a${i}`, accountName: name, state: 'queued', postText: 'Seven places', scheduledAt: at }),
      ),
    });
    const openPost = vi.fn();
    renderView(Calendar, { openPost }, backend);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: /Seven places/ }));
    const panel = await screen.findByTestId('entry-panel');
    expect(within(panel).getAllByRole('listitem')).toHaveLength(7);
    expect(within(panel).getAllByRole('button', { name: 'Cancel all' })).toHaveLength(1);
    await user.click(within(panel).getByRole('button', { name: 'Edit' }));
    expect(openPost).toHaveBeenCalledWith('p1', 'edit');
    await user.click(within(panel).getByRole('button', { name: 'Duplicate' }));
    expect(openPost).toHaveBeenCalledWith('p1', 'duplicate');
    await user.click(within(panel).getByRole('button', { name: 'Cancel all' }));
    await waitFor(() => expect(backend.called('cancelPost')).toEqual([['p1']]));
    expect(await screen.findByText('Cancelled everywhere it had not gone out.')).toBeInTheDocument();
  });
});

describe('Calendar queue', () => {
  it('shows a free posting time as an empty place that opens the composer for it', async () => {
    const now = new Date();
    const backend = new FakeBackend({ accounts: [account({ id: 'acc-m', name: 'Demo Mastodon' })] });
    // Every day at 23:59, so one is still ahead today.
    backend.slots = [{ id: '1', days: [1, 2, 3, 4, 5, 6, 7], time: '23:59', zone: 'UTC', accounts: ['acc-m'], next: null }];
    const openSlot = vi.fn();
    renderView(Calendar, { accounts: backend.accounts, openSlot }, backend);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Day' }));
    const slot = await screen.findByTestId('slot');
    expect(slot).toHaveAccessibleName(/Free posting time at 11:59\sPM for one account/);
    await user.click(slot);
    expect(openSlot).toHaveBeenCalledWith(new Date(now.getFullYear(), now.getMonth(), now.getDate(), 23, 59).getTime(), ['acc-m']);
  });
});
