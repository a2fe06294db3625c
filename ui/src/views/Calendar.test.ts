import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Calendar from './Calendar.svelte';
import { FakeBackend, delivery } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';

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
    const entry = await screen.findByRole('group', { name: 'Planned post' });
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
    const now = new Date();
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 12, 0).getTime();
    const backend = new FakeBackend({
      outbox: [
        delivery({ id: 'a', postId: 'p1', state: 'queued', postText: 'Planned post', scheduledAt: at }),
        delivery({ id: 'b', postId: 'p2', state: 'sent', postText: 'Done post', updatedAt: at }),
      ],
    });
    renderView(Calendar, {}, backend);
    const user = userEvent.setup();
    const buttons = await screen.findAllByRole('button', { name: 'Reschedule…' });
    expect(buttons).toHaveLength(1);
    await user.click(buttons[0]);
    const input = screen.getByLabelText('New date and time');
    await user.clear(input);
    await user.type(input, '2031-01-02T08:15');
    await user.click(screen.getByRole('button', { name: 'Move' }));
    await waitFor(() => expect(backend.called('reschedulePost')[0]).toEqual(['p1', new Date(2031, 0, 2, 8, 15).getTime()]));
  });
});
