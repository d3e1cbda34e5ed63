// What keeps a person inside a modal dialog: where focus goes first, and
// where Tab goes from the last control. The platform's <dialog>.showModal()
// already makes the page behind it inert; this is the same rule written out,
// so that a webview without it (and jsdom in the unit tests) behaves alike.

const FOCUSABLE = [
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "a[href]",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The controls Tab visits inside `root`, in document order. */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => !e.closest("[hidden], [inert]"));
}

/**
 * The control a step starts at: one marked `data-first`, else its first field
 * a person types in (not a read-only address), else its first control.
 */
export function firstOf(root: HTMLElement): HTMLElement | null {
  const all = focusables(root);
  return (
    root.querySelector<HTMLElement>("[data-first]:not([disabled])") ??
    all.find((e) => e.matches("input:not([readonly]), select, textarea")) ??
    all[0] ??
    null
  );
}

/**
 * Tab from the last control goes to the first, Shift+Tab from the first (or
 * from the dialog itself) to the last: focus never leaves `root`. Answers
 * whether it moved focus (the key's default is then prevented).
 */
export function trapTab(root: HTMLElement, event: KeyboardEvent): boolean {
  if (event.key !== "Tab") return false;
  const all = focusables(root);
  if (all.length === 0) {
    event.preventDefault();
    return true;
  }
  const at = document.activeElement as HTMLElement | null;
  const inside = at !== null && root.contains(at) && at !== root;
  const to = event.shiftKey
    ? !inside || at === all[0] ? all[all.length - 1] : null
    : !inside || at === all[all.length - 1] ? all[0] : null;
  if (!to) return false;
  event.preventDefault();
  to.focus();
  return true;
}
