// A tiny element builder: text goes in as text nodes, never as HTML.
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element, ...children: Child[]) {
  el.replaceChildren();
  append(el, children);
}

export const svgNS = "http://www.w3.org/2000/svg";
export function s(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// breakable writes a path or other long token so that a narrow column wraps it after a
// '/' (or '.', ':', '=', ',') and never inside a word: a <wbr> after each such character.
export function breakable(text: string): Child[] {
  const out: Child[] = [];
  for (const part of text.split(/(?<=[/.:=,])(?=.)/)) {
    if (out.length) out.push(document.createElement("wbr"));
    out.push(part);
  }
  return out;
}

// table is a data table in a box that scrolls sideways when the table is wider than the
// screen, so that a narrow screen scrolls the table, not the page. The box is a labelled,
// focusable region so that it scrolls from the keyboard too.
export function table(header: string[], rows: Child[][], caption?: string, attrs: Attrs = {}): HTMLDivElement {
  return scrollBox(h("table", attrs, caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, header.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c))))))), caption ?? header.join(", "));
}

export function scrollBox(content: HTMLElement, name: string): HTMLDivElement {
  return h("div", { class: "scroll-x", role: "region", tabindex: 0, "aria-label": name + " (table)" }, content);
}
