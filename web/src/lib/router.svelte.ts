// Client routing on the History API: the server answers index.html for every path that is not an
// asset or under /api, so each route below is also a deep link.

export const router = $state({ path: normalise(location.pathname), query: new URLSearchParams(location.search) });

function normalise(p: string): string {
  return p.replace(/\/+$/, "") || "/";
}

export function navigate(to: string, replace = false): void {
  const url = new URL(to, location.origin);
  if (url.pathname + url.search !== location.pathname + location.search) {
    if (replace) history.replaceState(null, "", url.pathname + url.search);
    else history.pushState(null, "", url.pathname + url.search);
  }
  router.path = normalise(url.pathname);
  router.query = url.searchParams;
  // Move focus to the new page's heading for keyboard and screen-reader users.
  queueMicrotask(() => document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: false }));
}

addEventListener("popstate", () => {
  router.path = normalise(location.pathname);
  router.query = new URLSearchParams(location.search);
});

// use:link on an <a href="/x">: a plain click navigates inside the app; modified clicks open a tab.
export function link(node: HTMLAnchorElement): { destroy(): void } {
  const onclick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const href = node.getAttribute("href");
    if (!href || !href.startsWith("/")) return;
    e.preventDefault();
    navigate(href);
  };
  node.addEventListener("click", onclick);
  return { destroy: () => node.removeEventListener("click", onclick) };
}
