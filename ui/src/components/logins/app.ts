// The browser sign-ins that use the user's own developer app (Meta, Threads) share this rule.
import { t } from '../../lib/i18n.svelte';
import { toast } from '../../lib/toasts.svelte';

/**
 * Logging in with one's own app needs its id and secret: when neither is saved nor typed, the
 * Advanced fields open (`open`), the user is told, and the id field (`field`) gets the focus.
 */
export function needsApp(saved: boolean, id: string, secret: string, open: () => void, field: string): boolean {
  if (saved || (id.trim() && secret.trim())) return false;
  open();
  toast(t('accounts.appNeeded'), 'error');
  requestAnimationFrame(() => document.getElementById(field)?.focus());
  return true;
}
