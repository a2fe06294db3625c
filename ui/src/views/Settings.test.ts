import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import SettingsView from './Settings.svelte';
import { FakeBackend } from '../lib/fake-backend';
import { renderView } from '../lib/test-render';
import { setLocale } from '../lib/i18n.svelte';

describe('Settings', () => {
  it('saves the choices and switches the language at once', async () => {
    const backend = new FakeBackend();
    const info = await backend.appInfo();
    renderView(SettingsView, { info, onSaved: () => {} }, backend);
    const user = userEvent.setup();
    expect(screen.getByTestId('data-dir')).toHaveTextContent('/home/me/.local/share/app.fanout.desktop');
    await user.click(screen.getByLabelText('Start Fanout when I log in'));
    await user.selectOptions(screen.getByLabelText('Theme'), 'dark');
    await user.selectOptions(screen.getByTestId('language'), 'nl');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(backend.settings).toMatchObject({ startAtLogin: true, theme: 'dark', locale: 'nl' }));
    expect(await screen.findByRole('button', { name: 'Instellingen bewaren' })).toBeInTheDocument();
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(document.documentElement.lang).toBe('nl');
    await setLocale('en');
  });

  it('shows why a shortcut cannot be used', async () => {
    const backend = new FakeBackend();
    const info = await backend.appInfo();
    renderView(SettingsView, { info, onSaved: () => {} }, backend);
    backend.failNext = { code: 'invalid_input', message: "the shortcut 'Ctrl+' cannot be used" };
    await userEvent.setup().click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText("the shortcut 'Ctrl+' cannot be used")).toBeInTheDocument();
  });

  // Bug 10: the secrets line came from Rust in English.
  it('words where sign-ins are kept in the UI’s language', async () => {
    const backend = new FakeBackend();
    const info = { ...(await backend.appInfo()), secretStore: { kind: 'file', place: '/home/me/.local/share/app.fanout.desktop/secrets.json' } };
    await setLocale('nl');
    renderView(SettingsView, { info, onSaved: () => {} }, backend);
    expect(screen.getByTestId('secret-store')).toHaveTextContent(
      'een bestand dat alleen jij kunt lezen: /home/me/.local/share/app.fanout.desktop/secrets.json',
    );
    await setLocale('en');
    expect(screen.getByTestId('secret-store')).toHaveTextContent('a file readable by you only:');
  });
});
