import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/svelte';
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
