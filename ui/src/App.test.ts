import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { FakeBackend, account, defaultSettings } from './lib/fake-backend';
import { setLocale } from './lib/i18n.svelte';

describe('App', () => {
  it('welcomes a first launch, and the demo leads to the composer with three demo accounts', async () => {
    const backend = new FakeBackend({ settings: { ...defaultSettings, onboarded: false } });
    render(App, { props: { backend } });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Try with demo accounts' }));
    expect(await screen.findByRole('heading', { name: 'Compose' })).toBeInTheDocument();
    expect(screen.getByTestId('target-Demo Team Chat')).toBeInTheDocument();
    expect(backend.settings.onboarded).toBe(true);
  });

  it('moves between views with the keyboard and marks the current one', async () => {
    const backend = new FakeBackend({ accounts: [account()] });
    render(App, { props: { backend } });
    const user = userEvent.setup();
    const outbox = await screen.findByRole('button', { name: 'Outbox' });
    outbox.focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { name: 'Outbox' })).toBeInTheDocument();
    expect(outbox).toHaveAttribute('aria-current', 'page');
    backend.emitNavigate('accounts');
    expect(await screen.findByRole('heading', { name: 'Accounts' })).toBeInTheDocument();
  });

  it('gives the tray and notifications their texts in the UI’s language', async () => {
    const backend = new FakeBackend({ accounts: [account()], settings: { ...defaultSettings, locale: 'nl' } });
    render(App, { props: { backend } });
    await waitFor(() => expect(backend.shellStrings?.sharedOther).toBe('Gedeeld op {count} plekken'));
    expect(backend.shellStrings?.quit).toBe('Fanout afsluiten');
    expect(backend.shellStrings?.notRenewed).toBe('Log opnieuw in bij {account}');
    expect(backend.shellStrings?.troubled).toBe('Bezorging gepauzeerd: {reason}');
    await setLocale('en');
  });

  it('says why delivery waits on a local fault, and stops saying it once delivery goes on', async () => {
    const backend = new FakeBackend({ accounts: [account()] });
    backend.trouble = 'database busy: another program holds it';
    render(App, { props: { backend } });
    const alert = await screen.findByText(/Delivery is paused: database busy/);
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent('Delivery is paused: database busy: another program holds it.');
    expect(alert).toHaveTextContent('Fanout tries again by itself');
    await new Promise((r) => setTimeout(r, 20)); // the window subscribes right after its first load
    backend.emitTrouble(null);
    await waitFor(() => expect(screen.queryByText(/Delivery is paused:/)).toBeNull());
    backend.emitTrouble('the disk is full');
    expect(await screen.findByText(/Delivery is paused: the disk is full\./)).toBeInTheDocument();
    expect(backend.shellStrings?.troubled).toBe('Delivery paused: {reason}');
  });

  it('shows a paused outbox and resumes it', async () => {
    const backend = new FakeBackend({ accounts: [account()] });
    backend.paused = true;
    render(App, { props: { backend } });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(screen.queryByText('Delivery is paused.')).toBeNull());
    expect(backend.called('setPaused')).toEqual([[false]]);
  });
});
