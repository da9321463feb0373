// Light or dark: the system's choice until the user picks one (kept in localStorage).
const KEY = "cadenza.theme";
const media = matchMedia("(prefers-color-scheme: dark)");

function initial(): "light" | "dark" {
  const s = localStorage.getItem(KEY);
  if (s === "light" || s === "dark") return s;
  return media.matches ? "dark" : "light";
}

export const theme = $state<{ current: "light" | "dark" }>({ current: initial() });

function apply(): void {
  document.documentElement.dataset.theme = theme.current;
}
apply();
media.addEventListener("change", () => {
  if (!localStorage.getItem(KEY)) {
    theme.current = media.matches ? "dark" : "light";
    apply();
  }
});

export function toggleTheme(): void {
  theme.current = theme.current === "dark" ? "light" : "dark";
  localStorage.setItem(KEY, theme.current);
  apply();
}
