// Errors that belong to no field, and short confirmations, as toasts (an ARIA live region).
export interface Toast {
  id: number;
  kind: "error" | "info";
  text: string;
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function toast(kind: Toast["kind"], text: string, ms = kind === "error" ? 8000 : 4000): void {
  const id = next++;
  toasts.push({ id, kind, text });
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
