import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Accounts from './Accounts.svelte';
import { FakeBackend, account } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';

describe('Accounts', () => {
  it('links a Mastodon account with its own form, off until turned on, and clears the token', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/Server address/), 'https://social.example');
    await user.type(screen.getByLabelText(/Access token/), 'secret-token');
    await user.click(screen.getByRole('button', { name: 'Link account' }));
    await waitFor(() => expect(backend.called('linkAccount')).toHaveLength(1));
    expect(backend.called('linkAccount')[0]).toEqual([{ network: 'mastodon', server: 'https://social.example', token: 'secret-token', name: null }]);
    expect(screen.getByLabelText(/Access token/)).toHaveValue('');
    expect(await screen.findByText(/Turn it on to share to it/)).toBeInTheDocument();
  });

  it('switches to the Discord form', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Network'), 'discord');
    await user.type(screen.getByLabelText(/Webhook URL/), 'https://discord.com/api/webhooks/1/x');
    await user.click(screen.getByRole('button', { name: 'Link account' }));
    await waitFor(() => expect(backend.called('linkAccount')[0]).toEqual([{ network: 'discord', webhookUrl: 'https://discord.com/api/webhooks/1/x', name: null }]));
  });

  it('links a Facebook Page and an Instagram account with a pasted token', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Network'), 'instagram');
    await user.type(screen.getByLabelText(/Instagram account id/), '17841400000000001');
    await user.type(screen.getByLabelText(/^Page id/), '102030405060');
    await user.type(screen.getByLabelText(/Page access token/), 'page-token');
    await user.click(screen.getByRole('button', { name: 'Link account' }));
    await waitFor(() =>
      expect(backend.called('linkAccount')[0]).toEqual([
        { network: 'instagram', userId: '17841400000000001', pageId: '102030405060', token: 'page-token', name: null },
      ]),
    );
    expect(screen.getByLabelText(/Page access token/)).toHaveValue('');
  });

  it('links a Threads profile with its token', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Network'), 'threads');
    expect(screen.getByText(/photos need a bucket/)).toBeInTheDocument();
    await user.type(screen.getByLabelText(/Access token/), 'threads-token');
    await user.click(screen.getByRole('button', { name: 'Link account' }));
    await waitFor(() => expect(backend.called('linkAccount')[0]).toEqual([{ network: 'threads', token: 'threads-token', name: null }]));
  });

  it('logs in with Facebook using the app id and secret once, lists the permissions, and forgets the secret', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    expect(await screen.findByText('pages_manage_posts')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Meta app id'), '1234567890');
    await user.type(screen.getByLabelText('Meta app secret'), 'app-secret');
    await user.click(screen.getByRole('button', { name: 'Log in with Facebook…' }));
    await waitFor(() => expect(backend.called('linkMeta')).toEqual([['1234567890', 'app-secret', false]]));
    expect(await screen.findByText(/Logged in as Sandbox User: linked 2 accounts/)).toBeInTheDocument();
    expect(await screen.findByText(/Your Meta app is saved/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Meta app secret')).toBeNull();
  });

  it('cancels a login still waiting for the browser', async () => {
    const backend = new FakeBackend();
    backend.hangMetaLogin = true;
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Meta app id'), '1234567890');
    await user.type(screen.getByLabelText('Meta app secret'), 'app-secret');
    await user.click(screen.getByRole('button', { name: 'Log in with Facebook…' }));
    expect(await screen.findByRole('button', { name: 'Finish logging in in your browser…' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Cancel the login' }));
    expect(backend.called('cancelMetaLogin')).toHaveLength(1);
    expect(await screen.findByText(/the Facebook login was cancelled/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Log in with Facebook…' })).toBeEnabled();
  });

  it('says what is missing when logging in without a Meta app', async () => {
    const backend = new FakeBackend();
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Log in with Facebook…' }));
    expect(await screen.findByText(/enter your Meta app’s id and secret first/)).toBeInTheDocument();
  });

  it('shows health, turns an account on, and removes only after confirming', async () => {
    const broken = account({ name: 'Work', demo: false, enabled: false, health: 'needs_reconnect', healthDetail: 'token revoked' });
    const backend = new FakeBackend({ accounts: [broken] });
    renderView(Accounts, { accounts: backend.accounts, onChanged: () => {} }, backend);
    const user = userEvent.setup();
    expect(screen.getByText(/Needs reconnecting — token revoked/)).toBeInTheDocument();
    await user.click(screen.getByLabelText('Share to this account'));
    expect(backend.called('setAccountEnabled')).toEqual([[broken.id, true]]);
    await user.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(backend.called('verifyAccount')).toEqual([[broken.id]]);
    await user.click(screen.getByRole('button', { name: 'Remove' }));
    expect(backend.called('removeAccount')).toHaveLength(0);
    expect(screen.getByRole('alert')).toHaveTextContent('Remove Work and its saved sign-in?');
    await user.click(screen.getAllByRole('button', { name: 'Remove' })[0]);
    expect(backend.called('removeAccount')).toEqual([[broken.id]]);
  });

  it('shows a refused link with the server’s reason', async () => {
    const backend = new FakeBackend();
    backend.failNext = { code: 'network', message: 'the server refused the token (401)' };
    renderView(Accounts, { accounts: [], onChanged: () => {} }, backend);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/Server address/), 'https://social.example');
    await user.type(screen.getByLabelText(/Access token/), 'bad');
    await user.click(screen.getByRole('button', { name: 'Link account' }));
    expect(await screen.findByText('the server refused the token (401)')).toBeInTheDocument();
  });
});
