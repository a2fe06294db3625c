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

  it('says it is a demo and offers a short tour, each step leading to its view, closed for good', async () => {
    const backend = new FakeBackend({ accounts: [account()], settings: { ...defaultSettings, tourDone: false } });
    backend.demoServer = 'http://127.0.0.1:47123';
    render(App, { props: { backend } });
    const user = userEvent.setup();
    expect(await screen.findByTestId('demo-banner')).toHaveTextContent('Demo mode');
    const tour = await screen.findByTestId('demo-tour');
    expect(tour).toHaveTextContent('Write once, share everywhere');
    await user.click(screen.getByTestId('tour-next'));
    expect(tour).toHaveTextContent('Plan it');
    await user.click(screen.getByTestId('tour-show'));
    expect(await screen.findByRole('heading', { name: 'Calendar' })).toBeInTheDocument();
    await user.click(screen.getByTestId('tour-close'));
    expect(screen.queryByTestId('demo-tour')).toBeNull();
    await waitFor(() => expect(backend.settings.tourDone).toBe(true));
    // The banner stays, with the way back to the tour.
    await user.click(screen.getByTestId('tour-open'));
    expect(await screen.findByTestId('demo-tour')).toBeInTheDocument();
  });

  it('shows no demo banner or tour outside demo mode', async () => {
    const backend = new FakeBackend({ accounts: [account()], settings: { ...defaultSettings, tourDone: false } });
    render(App, { props: { backend } });
    expect(await screen.findByRole('heading', { name: 'Compose' })).toBeInTheDocument();
    expect(screen.queryByTestId('demo-banner')).toBeNull();
    expect(screen.queryByTestId('demo-tour')).toBeNull();
  });
});
