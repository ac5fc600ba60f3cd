/**
 * Inline SVG drawings: a role's state machine (states as boxes in layers by
 * distance from the initial state, transitions as arrows; exercised ones
 * green, never exercised grey and dashed, invalid tries red) and a
 * counterexample's ladder (C->S / S->C arrows between two lifelines).
 */
import type { TransitionRef } from '../../oracles/statemachine';
import type { MachineCoverage } from '../model';
import { escapeXml as x } from './escape';

const BOX_W = 150;
const BOX_H = 26;
const H_GAP = 190;
const V_GAP = 64;
const MARGIN = 24;

const LADDER_OK = '#1a73e8';
export const COLOURS = { exercised: '#1f8a3b', unexercised: '#9aa0a6', invalid: '#d93025' } as const;

interface Pos {
  x: number;
  y: number;
}

/**
 * Layers by longest path from the initial state once the back edges of a
 * depth-first walk are removed (so the handshake flows down and loops go
 * back up), then one barycentre pass to reduce crossings.
 */
export function layout(states: readonly string[], edges: readonly TransitionRef[], initial: string): Map<string, Pos> {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // depth-first walk: forward edges only
  const forward = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (root: string): void => {
    const stack: Array<{ s: string; i: number }> = [{ s: root, i: 0 }];
    state.set(root, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const succ = next.get(top.s) ?? [];
      if (top.i >= succ.length) {
        state.set(top.s, 'done');
        stack.pop();
        continue;
      }
      const t = succ[top.i++]!;
      if (state.get(t) === 'open') continue; // back edge
      forward.set(top.s, [...(forward.get(top.s) ?? []), t]);
      if (!state.has(t)) {
        state.set(t, 'open');
        stack.push({ s: t, i: 0 });
      }
    }
  };
  if (states.includes(initial)) visit(initial);
  for (const s of states) if (!state.has(s)) visit(s);
  // longest path over the forward edges (a DAG): relax in topological order
  const indeg = new Map<string, number>(states.map((s) => [s, 0]));
  for (const ts of forward.values()) for (const t of ts) indeg.set(t, (indeg.get(t) ?? 0) + 1);
  const layer = new Map<string, number>();
  const queue = states.filter((s) => (indeg.get(s) ?? 0) === 0);
  for (const s of queue) layer.set(s, 0);
  while (queue.length) {
    const s = queue.shift()!;
    for (const t of forward.get(s) ?? []) {
      layer.set(t, Math.max(layer.get(t) ?? 0, layer.get(s)! + 1));
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }
  const deepest = Math.max(-1, ...layer.values());
  for (const s of states) if (!layer.has(s)) layer.set(s, deepest + 1);
  const layers: string[][] = [];
  const order = [...layer.keys()];
  for (const s of order) {
    const k = layer.get(s)!;
    layers[k] = [...(layers[k] ?? []), s];
  }
  const pos = new Map<string, Pos>();
  const width = Math.max(...layers.map((l) => l?.length ?? 0), 1);
  layers.forEach((l, i) => {
    if (!l) return;
    if (i > 0) {
      const bary = (s: string): number => {
        const preds = edges.filter((e) => e.to === s && e.from !== s && pos.has(e.from)).map((e) => pos.get(e.from)!.x);
        return preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : Number.POSITIVE_INFINITY;
      };
      const keyed = l.map((s, k) => ({ s, b: bary(s), k }));
      keyed.sort((a, b) => a.b - b.b || a.k - b.k);
      l.splice(0, l.length, ...keyed.map((e) => e.s));
    }
    const offset = ((width - l.length) * (BOX_W + H_GAP)) / 2;
    l.forEach((s, k) => {
      pos.set(s, { x: MARGIN + offset + k * (BOX_W + H_GAP), y: MARGIN + i * (BOX_H + V_GAP) });
    });
  });
  return pos;
}

interface Edge {
  from: string;
  to: string;
  vias: string[];
  kind: 'exercised' | 'unexercised' | 'invalid';
  count: number;
}

export function machineSvg(m: MachineCoverage): string {
  const states: string[] = [];
  const add = (s: string): void => {
    if (!states.includes(s)) states.push(s);
  };
  add(m.initial);
  for (const t of m.transitions) {
    add(t.from);
    add(t.to);
  }
  for (const t of m.invalidTried) {
    add(t.from);
    add(t.to);
  }
  const pos = layout(states, m.transitions, m.initial);
  const edges = new Map<string, Edge>();
  const put = (t: TransitionRef, kind: Edge['kind'], count: number): void => {
    const key = `${t.from}\u0000${t.to}\u0000${kind}`;
    const e = edges.get(key) ?? { from: t.from, to: t.to, vias: [], kind, count: 0 };
    e.vias.push(count ? `${t.via} (×${count})` : t.via);
    e.count += count;
    edges.set(key, e);
  };
  for (const t of m.transitions) put(t, t.count > 0 ? 'exercised' : 'unexercised', t.count);
  for (const t of m.invalidTried) put(t, 'invalid', t.count);

  const step = BOX_H + V_GAP;
  const kindOf = (e: Edge): 'self' | 'short' | 'long' | 'back' => {
    const dy = pos.get(e.to)!.y - pos.get(e.from)!.y;
    return e.from === e.to ? 'self' : dy === step ? 'short' : dy > step ? 'long' : 'back';
  };
  const all = [...edges.values()].sort((p, q) => order(p.kind) - order(q.kind));
  const rowMin = new Map<number, number>();
  const rowMax = new Map<number, number>();
  for (const p of pos.values()) {
    rowMin.set(p.y, Math.min(rowMin.get(p.y) ?? p.x, p.x));
    rowMax.set(p.y, Math.max(rowMax.get(p.y) ?? p.x, p.x));
  }
  const leftmost = (s: string): boolean => pos.get(s)!.x === rowMin.get(pos.get(s)!.y);
  const rightmost = (s: string): boolean => pos.get(s)!.x === rowMax.get(pos.get(s)!.y);
  /** Long and back edges run in a gutter beside the boxes; this picks the side that crosses fewest. */
  const pickSide = (e: Edge): 'left' | 'right' => {
    if (rightmost(e.from) && rightmost(e.to) && !(leftmost(e.from) && leftmost(e.to) && kindOf(e) === 'back')) return 'right';
    if (leftmost(e.from) || leftmost(e.to)) return 'left';
    return 'right';
  };
  const sides = new Map(all.map((e) => [e, pickSide(e)]));
  const sideOf = (e: Edge): 'left' | 'right' => sides.get(e)!;
  const nBack = all.filter((e) => kindOf(e) !== 'self' && kindOf(e) !== 'short' && sideOf(e) === 'left').length;
  const nLong = all.filter((e) => kindOf(e) !== 'self' && kindOf(e) !== 'short' && sideOf(e) === 'right').length;
  const GUTTER_STEP = 7;
  const left = 20 + GUTTER_STEP * nBack;
  for (const p of pos.values()) p.x += left;
  const right = Math.max(...[...pos.values()].map((p) => p.x)) + BOX_W + 150;
  const w = right + 20 + GUTTER_STEP * nLong + MARGIN;
  const h = Math.max(...[...pos.values()].map((p) => p.y)) + BOX_H + MARGIN;
  const id = m.machine;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine" data-machine="${x(id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${x(`state machine ${id}`)}">`,
  );
  parts.push('<defs>');
  for (const [k, c] of Object.entries(COLOURS)) {
    parts.push(
      `<marker id="${x(`${id}-arrow-${k}`)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    );
  }
  parts.push('</defs>');
  const selfLoops = new Map<string, number>();
  let backs = 0;
  let longs = 0;
  for (const e of all) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const colour = COLOURS[e.kind];
    const dash = e.kind === 'unexercised' ? ' stroke-dasharray="4 3"' : e.kind === 'invalid' ? ' stroke-dasharray="2 2"' : '';
    const label = e.vias.join(', ');
    const route = kindOf(e);
    let d: string;
    let text = '';
    if (route === 'self') {
      const n = selfLoops.get(e.from) ?? 0;
      selfLoops.set(e.from, n + 1);
      const r = 9 + 4 * n;
      const sx = a.x + BOX_W;
      d = `M${sx},${a.y + 6} C${sx + 2 * r},${a.y - r} ${sx + 2 * r},${a.y + BOX_H + r} ${sx},${a.y + BOX_H - 6}`;
      text = `<text x="${sx + 22}" y="${a.y + 9 + n * 10}" font-size="9" fill="${colour}">${x(shorten(label, 28))}</text>`;
    } else if (route === 'short') {
      const x1 = a.x + BOX_W / 2;
      const y1 = a.y + BOX_H;
      const x2 = b.x + BOX_W / 2;
      const y2 = b.y;
      d = `M${x1},${y1} L${x2},${y2}`;
      text = `<text x="${((x1 + x2) / 2 + 4).toFixed(1)}" y="${((y1 + y2) / 2 + 3).toFixed(1)}" font-size="9" fill="${colour}">${x(shorten(label, 40))}</text>`;
    } else if (sideOf(e) === 'right') {
      // in the right gutter (label on hover)
      const gx = right + 20 + GUTTER_STEP * longs++;
      const y1 = a.y + BOX_H / 2 + 4;
      const y2 = b.y + BOX_H / 2 - 4;
      d = `M${a.x + BOX_W},${y1} L${gx - 6},${y1} Q${gx},${y1} ${gx},${y1 + 6} L${gx},${y2 - 6} Q${gx},${y2} ${gx - 6},${y2} L${b.x + BOX_W},${y2}`;
    } else {
      // in the left gutter (label on hover)
      const gx = left - 14 - GUTTER_STEP * backs++;
      const y1 = a.y + BOX_H / 2 - 4;
      const y2 = b.y + BOX_H / 2 + 4;
      const dir = y2 < y1 ? -1 : 1;
      d = `M${a.x},${y1} L${gx + 6},${y1} Q${gx},${y1} ${gx},${y1 + 6 * dir} L${gx},${y2 - 6 * dir} Q${gx},${y2} ${gx + 6},${y2} L${b.x},${y2}`;
    }
    parts.push(
      `<g class="tr ${e.kind}" data-kind="${e.kind}" data-from="${x(e.from)}" data-to="${x(e.to)}"><title>${x(`${e.from} → ${e.to}: ${label}`)}</title>` +
        `<path d="${d}" fill="none" stroke="${colour}" stroke-width="${e.kind === 'exercised' ? 2 : 1.2}"${dash} marker-end="url(#${x(`${id}-arrow-${e.kind}`)})"/>${text}</g>`,
    );
  }
  for (const [s, p] of pos) {
    const initial = s === m.initial;
    parts.push(
      `<g class="state" data-state="${x(s)}"><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="5" fill="${initial ? '#e8f0fe' : '#ffffff'}" stroke="#3c4043"/>` +
        `<text x="${p.x + BOX_W / 2}" y="${p.y + BOX_H / 2 + 4}" font-size="11" text-anchor="middle" font-family="monospace">${x(s)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function order(k: Edge['kind']): number {
  return k === 'unexercised' ? 0 : k === 'exercised' ? 1 : 2;
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export interface LadderStep {
  dir?: 'C->S' | 'S->C';
  label: string;
}

export function parseLadder(lines: readonly string[]): LadderStep[] {
  return lines.map((l) => {
    const m = /^\s*(C->S|S->C)\s*:?\s*(.*)$/.exec(l);
    return m ? { dir: m[1] as 'C->S' | 'S->C', label: m[2]! } : { label: l };
  });
}

/** A ladder diagram: client lifeline left, server right. */
export function ladderSvg(lines: readonly string[], names: { client?: string; server?: string } = {}): string {
  const steps = parseLadder(lines);
  const W = 460;
  const left = 70;
  const right = W - 70;
  const rowH = 26;
  const top = 40;
  const h = top + steps.length * rowH + 16;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="message ladder">`,
    `<defs>${(['ok', 'bad'] as const).map((k) => `<marker id="ladder-head-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${k === 'ok' ? LADDER_OK : COLOURS.invalid}"/></marker>`).join('')}</defs>`,
    // anchored at the outer edges, so that a long name runs towards the middle instead of past the picture's border
    `<text x="4" y="18" text-anchor="start" font-weight="bold" font-size="12"><title>${x(names.client ?? 'Client')}</title>${x(shorten(names.client ?? 'Client', 32))}</text>`,
    `<text x="${W - 4}" y="18" text-anchor="end" font-weight="bold" font-size="12"><title>${x(names.server ?? 'Server')}</title>${x(shorten(names.server ?? 'Server', 32))}</text>`,
    `<line x1="${left}" y1="26" x2="${left}" y2="${h - 6}" stroke="#5f6368"/>`,
    `<line x1="${right}" y1="26" x2="${right}" y2="${h - 6}" stroke="#5f6368"/>`,
  ];
  steps.forEach((s, i) => {
    const y = top + i * rowH + 12;
    const bad = /alert|reset|timeout|hung|invalid|unexpected|!/i.test(s.label);
    const colour = bad ? COLOURS.invalid : LADDER_OK;
    if (!s.dir) {
      parts.push(
        `<text class="note" x="${W / 2}" y="${y}" text-anchor="middle" font-size="11" font-style="italic" fill="${colour}"><title>${x(s.label)}</title>${x(shorten(s.label, 72))}</text>`,
      );
      return;
    }
    const [x1, x2] = s.dir === 'C->S' ? [left, right] : [right, left];
    parts.push(
      `<g class="step" data-dir="${x(s.dir)}"><line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${colour}" stroke-width="1.5" marker-end="url(#ladder-head-${bad ? 'bad' : 'ok'})"/>` +
        `<text x="${W / 2}" y="${y - 4}" text-anchor="middle" font-size="11" font-family="monospace">${x(s.label)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
