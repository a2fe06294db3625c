import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Outbox from './Outbox.svelte';
import { FakeBackend, delivery } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';

function setup(outbox = [delivery()]) {
  const backend = new FakeBackend({ outbox });
  renderView(Outbox, { paused: false, onPausedChange: () => {} }, backend);
  return backend;
}

describe('Outbox', () => {
  it('follows each delivery live: sending, then sent with a link', async () => {
    const backend = setup();
    const row = await screen.findByTestId('delivery-Demo Mastodon');
    expect(within(row).getByTestId('state')).toHaveTextContent('Queued');
    backend.emitOutbox([delivery({ state: 'running', progress: 'upload', progressN: 1, progressTotal: 2 })]);
    await waitFor(() => expect(within(row).getByTestId('state')).toHaveTextContent('Sending… uploading file 1 of 2'));
    expect(within(row).getByRole('progressbar')).toHaveAttribute('value', '1');
    backend.emitOutbox([delivery({ state: 'running', progress: 'publish' })]);
    await waitFor(() => expect(within(row).getByTestId('state')).toHaveTextContent('Sending… publishing'));
    backend.emitOutbox([delivery({ state: 'sent', remoteUrl: 'http://127.0.0.1:9/@demo/1' })]);
    await waitFor(() => expect(within(row).getByTestId('state')).toHaveTextContent('Sent'));
    await userEvent.setup().click(within(row).getByTestId('permalink'));
    expect(backend.called('openLink')).toEqual([['http://127.0.0.1:9/@demo/1']]);
  });

  it('shows why a delivery needs attention with its fix, and retries it', async () => {
    const backend = setup([
      delivery({ state: 'needs_attention', errorKind: 'rejected', error: 'Mastodon refused the post (422): Validation failed' }),
    ]);
    const row = await screen.findByTestId('delivery-Demo Mastodon');
    expect(row).toHaveTextContent('Validation failed');
    expect(within(row).getByTestId('fix')).toHaveTextContent('The platform refused this post');
    await userEvent.setup().click(within(row).getByTestId('retry'));
    expect(backend.called('retryDelivery')).toEqual([['d1']]);
    await waitFor(() => expect(within(row).getByTestId('state')).toHaveTextContent('Queued'));
  });

  it('asks the user about an unconfirmed delivery: mark sent or send again', async () => {
    const backend = setup([delivery({ state: 'unconfirmed', errorKind: 'outcome_unknown', error: 'the connection closed' })]);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Check Demo Mastodon' }));
    expect(backend.called('openAccountPage')).toEqual([['acc-demo-mastodon']]);
    await user.click(screen.getByRole('button', { name: 'It is there — mark sent' }));
    expect(backend.called('resolveDelivery')).toEqual([['d1', true]]);
  });

  it('retries all failures at once and says how many', async () => {
    const backend = setup([
      delivery({ id: 'a', state: 'failed', errorKind: 'transient', error: '503' }),
      delivery({ id: 'b', accountName: 'Demo Discord', state: 'needs_attention', errorKind: 'rejected', error: 'no' }),
    ]);
    await userEvent.setup().click(await screen.findByTestId('retry-all'));
    expect(await screen.findByText('2 deliveries queued again.')).toBeInTheDocument();
    expect(backend.called('retryAllFailures')).toHaveLength(1);
  });

  it('shows post text with markup as text, never as HTML', async () => {
    setup([delivery({ postText: '<script>window.hacked=1</script><img src=x onerror="window.hacked=2">' })]);
    expect(await screen.findByText('<script>window.hacked=1</script><img src=x onerror="window.hacked=2">')).toBeInTheDocument();
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect((window as unknown as { hacked?: number }).hacked).toBeUndefined();
  });

  it('says so when the outbox is empty', async () => {
    setup([]);
    expect(await screen.findByText(/Nothing in the outbox yet/)).toBeInTheDocument();
  });
});
