// What a reader sees go wrong on a page of figures, found in a real browser's layout: text cut
// off at the edge of its picture, text drawn over other text, text too small to read, and labels
// that are blank because they are whitespace (a space token). It runs inside the page
// (page.evaluate), so it must not use anything from outside this function.

export interface LayoutProblem {
  kind: "outside" | "overlap" | "tiny" | "blank";
  text: string;
  detail: string;
}

export function layoutProblems(): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const TOLERANCE = 1; // px: anti-aliasing, rounding
  const short = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
  type Box = { left: number; right: number; top: number; bottom: number };
  const area = (b: Box) => Math.max(0, b.right - b.left) * Math.max(0, b.bottom - b.top);
  const outermost = (el: Element): SVGSVGElement => {
    let svg = el.closest("svg")!;
    for (let up = svg.parentElement?.closest("svg"); up; up = up.parentElement?.closest("svg")) svg = up;
    return svg;
  };
  const textsBySvg = new Map<SVGSVGElement, { text: string; box: Box }[]>();
  for (const t of Array.from(document.querySelectorAll("svg text"))) {
    const text = t.textContent ?? "";
    if (text.length === 0) continue;
    // a label that starts or ends with whitespace (a space token, a newline) shows nothing there
    if (/^\s|\s$/.test(text)) problems.push({ kind: "blank", text: short(text), detail: "starts or ends with whitespace, which draws as nothing" });
    const r = t.getBoundingClientRect();
    const box = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    if (area(box) === 0) continue;
    // every enclosing <svg> is a drawing area: a nested one (Plot's chart) clips what lies outside
    for (let svg = t.closest("svg"); svg; svg = svg.parentElement?.closest("svg") ?? null) {
      const s = svg.getBoundingClientRect();
      if (box.left < s.left - TOLERANCE || box.right > s.right + TOLERANCE || box.top < s.top - TOLERANCE || box.bottom > s.bottom + TOLERANCE) {
        const by = Math.max(s.left - box.left, box.right - s.right, s.top - box.top, box.bottom - s.bottom);
        problems.push({ kind: "outside", text: short(text), detail: `${by.toFixed(1)} px outside its ${svg === outermost(t) ? "figure" : "chart"}` });
        break;
      }
    }
    // the size it is drawn at: the font size times how much the page scaled the figure
    const root = outermost(t);
    const scale = root.getBoundingClientRect().width / (root.viewBox.baseVal?.width || root.getBoundingClientRect().width);
    const px = parseFloat(getComputedStyle(t).fontSize) * scale;
    if (px < 8.5) problems.push({ kind: "tiny", text: short(text), detail: `drawn at ${px.toFixed(1)} px` });
    if (!textsBySvg.has(root)) textsBySvg.set(root, []);
    textsBySvg.get(root)!.push({ text, box });
  }
  // text over text: two labels sharing more than a fifth of the smaller one's box
  for (const list of textsBySvg.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!.box;
        const b = list[j]!.box;
        const inter = area({ left: Math.max(a.left, b.left), right: Math.min(a.right, b.right), top: Math.max(a.top, b.top), bottom: Math.min(a.bottom, b.bottom) });
        if (inter > 0.2 * Math.min(area(a), area(b))) {
          problems.push({ kind: "overlap", text: short(list[i]!.text), detail: `overlaps ${short(list[j]!.text)}` });
        }
      }
    }
  }
  return problems;
}
