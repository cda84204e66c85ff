// Tiny DOM helpers: element builder and the Panel every view is made of (title, status badge, body) with
// its loading, error and stale states (docs/web.md "States").

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element: h("div.cls#id", {attr | onclick}, ...children). */
export function h<K extends keyof HTMLElementTagNameMap>(spec: K | `${K}.${string}` | `${K}#${string}`, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/.exec(spec)!;
  const el = document.createElement(m[1] as K);
  for (const part of m[2]!.match(/[.#][\w-]+/g) ?? []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export type PanelState = "loading" | "ok" | "stale" | "error";

/** A titled box with a state badge; `data-state` drives the styling and the tests read it. */
export class Panel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly tools: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly note: HTMLElement;
  state: PanelState = "loading";

  constructor(id: string, title: string) {
    this.badge = h("span.badge");
    this.tools = h("span.tools");
    this.note = h("div.note");
    this.body = h("div.body");
    this.el = h("section.panel", { id: `panel-${id}`, "data-state": "loading" }, h("header", {}, h("h2", {}, title), this.tools, this.badge), this.note, this.body);
    this.loading();
  }

  private set(state: PanelState, badge: string, note: string): void {
    this.state = state;
    this.el.dataset.state = state;
    this.badge.textContent = badge;
    this.note.textContent = note;
  }
  loading(note = "loading..."): void {
    this.set("loading", "loading", note);
  }
  ok(): void {
    this.set("ok", "live", "");
  }
  /** Data shown is from before the live feed dropped; it resumes on reconnect. */
  stale(note = "connection lost: reconnecting..."): void {
    if (this.state !== "error") this.set("stale", "stale", note);
  }
  error(message: string): void {
    this.set("error", "error", message);
  }
}

export const fmt = (n: number): string => n.toLocaleString("en-US");
export const short = (hex: string, n = 6): string => (hex.length > 2 * n + 2 ? `${hex.slice(0, n + 2)}…${hex.slice(-n)}` : hex);
export function age(sec: number): string {
  const d = Math.max(0, Math.round(Date.now() / 1000 - sec));
  return d < 60 ? `${d}s` : d < 3600 ? `${Math.floor(d / 60)}m` : `${Math.floor(d / 3600)}h`;
}
export const levelTag = (level: string | null): HTMLElement => h("span.level", { "data-level": level ?? "none" }, level ?? "—");
export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
