// Short messages for the user, read out by screen readers (the region is a live region).
export type Toast = { id: number; text: string; kind: 'info' | 'error' };

export const toasts = $state<{ list: Toast[] }>({ list: [] });
let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const id = next++;
  toasts.list.push({ id, text, kind });
  setTimeout(() => dismiss(id), kind === 'error' ? 12000 : 5000);
}

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
