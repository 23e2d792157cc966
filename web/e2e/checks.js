// Layout judges the browser tests evaluate inside the page (internal/server's e2e tests
// in Chromium, web/e2e/firefox.mjs in Firefox). Evaluating this file defines
// window.strataChecks; each check returns plain data for the test to judge:
//
//   layout()          the document's scroll width against its client width, and every
//                     element cut off: beyond the viewport or beyond an ancestor that
//                     clips it without scrolling (overflow hidden/clip), and SVG text
//                     beyond its drawing.
//   overlaps(sel)     pairs of text boxes under sel that cover each other (each box cut
//                     to what its scrolling ancestors show).
//   midWord(sel)      words under sel that a line break splits between two letters or
//                     digits (CJK text, which breaks between characters, excepted).
//   lines(sel)        how many lines each element matching sel takes.
(() => {
  const hiddenSel = ".sr, .skip, script, style, title, option, [hidden]";
  const visible = (el) => !el.closest(hiddenSel) && (el.checkVisibility ? el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) : true);
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = el.getAttribute("class");
    if (cls) s += "." + cls.trim().split(/\s+/).join(".");
    const text = (el.textContent || "").trim().replace(/\s+/g, " ");
    return text ? `${s} "${text.slice(0, 40)}"` : s;
  };
  // The ancestors that clip an element: those whose overflow is not visible.
  const clippers = (el) => {
    const out = [];
    for (let p = el.parentElement; p && p !== document.documentElement && p !== document.body; p = p.parentElement) {
      const st = getComputedStyle(p);
      if (st.overflowX !== "visible" || st.overflowY !== "visible") out.push({ el: p, scrolls: /auto|scroll/.test(st.overflowX) });
    }
    return out;
  };
  const rect = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  const cutTo = (r, c) => ({ left: Math.max(r.left, c.left), right: Math.min(r.right, c.right), top: Math.max(r.top, c.top), bottom: Math.min(r.bottom, c.bottom) });

  function layout() {
    const se = document.scrollingElement;
    const vw = se.clientWidth;
    const cut = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (!visible(el)) continue;
      const svg = el instanceof SVGElement;
      if (svg && !(el instanceof SVGSVGElement) && el.tagName !== "text") continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (el.tagName === "text") {
        const box = el.ownerSVGElement.getBoundingClientRect();
        if (r.left < box.left - 1 || r.right > box.right + 1) cut.push(describe(el) + " goes beyond its drawing");
        continue;
      }
      const clip = clippers(el)[0];
      if (clip && clip.scrolls) continue; // reachable by scrolling that box
      const box = clip ? clip.el.getBoundingClientRect() : { left: 0, right: vw };
      if (r.left < box.left - 1 || r.right > box.right + 1) {
        cut.push(`${describe(el)} [${Math.round(r.left)}, ${Math.round(r.right)}] beyond ${clip ? describe(clip.el) : "the viewport"} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
      }
      const st = getComputedStyle(el);
      if (/hidden|clip/.test(st.overflowX) && st.textOverflow !== "ellipsis" && el.scrollWidth > el.clientWidth + 1 && !(el instanceof SVGSVGElement) && el.tagName !== "CANVAS") {
        cut.push(`${describe(el)} cuts its own content (${el.scrollWidth} > ${el.clientWidth})`);
      }
    }
    return { scrollWidth: se.scrollWidth, clientWidth: se.clientWidth, cut: cut.slice(0, 40) };
  }

  function textBoxes(root) {
    const boxes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n, i = 0;
    const seen = new Set();
    while ((n = walker.nextNode())) {
      if (!n.data.trim()) continue;
      const p = n.parentElement;
      if (!p || !visible(p)) continue;
      let rs;
      if (p.closest("svg")) {
        const t = p.closest("tspan") || p.closest("text");
        if (!t || seen.has(t)) continue;
        seen.add(t);
        rs = [t.getBoundingClientRect()];
      } else {
        const range = document.createRange();
        range.selectNodeContents(n);
        rs = [...range.getClientRects()];
      }
      // Text is cut to its own element too when that clips (an ellipsis).
      const own = getComputedStyle(p);
      const clips = [...(own.overflowX !== "visible" ? [{ el: p }] : []), ...clippers(p)].map((c) => c.el.getBoundingClientRect());
      for (const r0 of rs) {
        let r = rect(r0);
        for (const c of clips) r = cutTo(r, c);
        if (r.right - r.left > 0.5 && r.bottom - r.top > 0.5) boxes.push({ r, node: i, text: n.data.trim().replace(/\s+/g, " ").slice(0, 40), el: p });
      }
      i++;
    }
    return boxes;
  }

  function overlaps(sel) {
    const out = [];
    for (const root of document.querySelectorAll(sel)) {
      const b = textBoxes(root);
      for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) {
        if (b[i].node === b[j].node) continue;
        const ox = Math.min(b[i].r.right, b[j].r.right) - Math.max(b[i].r.left, b[j].r.left);
        const oy = Math.min(b[i].r.bottom, b[j].r.bottom) - Math.max(b[i].r.top, b[j].r.top);
        if (ox > 2 && oy > 3) out.push(`"${b[i].text}" (${describe(b[i].el)}) and "${b[j].text}" (${describe(b[j].el)}) overlap by ${Math.round(ox)}×${Math.round(oy)} px`);
      }
    }
    return { boxes: document.querySelectorAll(sel).length ? [...document.querySelectorAll(sel)].reduce((n, r) => n + textBoxes(r).length, 0) : 0, overlaps: out.slice(0, 40) };
  }

  const letter = /[\p{L}\p{N}]/u;
  const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
  function midWord(sel) {
    const out = [];
    let words = 0;
    for (const root of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      let n;
      while ((n = walker.nextNode())) {
        const p = n.parentElement;
        if (!p || !visible(p) || p.closest("svg")) continue;
        for (const m of n.data.matchAll(/\S+/g)) {
          words++;
          const range = document.createRange();
          range.setStart(n, m.index);
          range.setEnd(n, m.index + m[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size < 2) continue;
          // Find where the line breaks: the first character whose top differs.
          let prevTop = null;
          for (let k = 0; k < m[0].length; k++) {
            const cr = document.createRange();
            cr.setStart(n, m.index + k);
            cr.setEnd(n, m.index + k + 1);
            const r = [...cr.getClientRects()].find((x) => x.width > 0);
            if (!r) continue;
            if (prevTop !== null && Math.abs(r.top - prevTop) > 2) {
              const a = m[0][k - 1], b = m[0][k];
              if (letter.test(a) && letter.test(b) && !cjk.test(a) && !cjk.test(b)) out.push(`"${m[0].slice(0, k)}|${m[0].slice(k)}" in ${describe(p)}`);
            }
            prevTop = r.top;
          }
        }
      }
    }
    return { words, breaks: out.slice(0, 40) };
  }

  function lines(sel) {
    return [...document.querySelectorAll(sel)].filter(visible).map((el) => ({
      text: (el.textContent || "").trim(),
      lines: new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size,
    }));
  }

  window.strataChecks = { layout, overlaps, midWord, lines };
})();
