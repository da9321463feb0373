import { ApiError } from "./api";
import { toast } from "./toasts.svelte";

// Splits an error between the form's fields and a toast: field messages for the fields the form shows
// (`known`), everything else (a message without fields, fields the form does not have) as a toast.
export function formErrors(e: unknown, known: readonly string[]): Record<string, string> {
  if (e instanceof ApiError && Object.keys(e.fields).length) {
    const shown: Record<string, string> = {};
    const rest: string[] = [];
    for (const [k, v] of Object.entries(e.fields)) {
      if (known.includes(k)) shown[k] = v;
      else rest.push(`${k}: ${v}`);
    }
    if (rest.length) toast("error", rest.join("; "));
    // Move focus to the first field at fault.
    const first = known.find((k) => shown[k]);
    if (first) queueMicrotask(() => document.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
    return shown;
  }
  toast("error", e instanceof Error ? e.message : String(e));
  return {};
}
