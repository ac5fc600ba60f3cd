/**
 * Inline SVG of a state machine with coloured transitions, for the learn
 * report: the learned machine (matching the RFC machine green, differences
 * red, latitudes the RFCs allow amber, transitions past the end of the RFC
 * machine grey) and the RFC machine (transitions the target took green,
 * transitions it refused where the RFC allows them red, extra transitions it
 * accepted red dashed). States are placed by the report layer's layout
 * (reports/writers/svg.ts); parallel transitions are merged into one arrow
 * with all their labels in its tooltip.
 */
import { escapeXml as x } from '../reports/writers/escape';
import { layout } from '../reports/writers/svg';

export type EdgeKind = 'match' | 'difference' | 'freedom' | 'unjudged' | 'missing' | 'extra';

export const EDGE_COLOURS: Readonly<Record<EdgeKind, string>> = {
  match: '#1f8a3b',
  difference: '#d93025',
  freedom: '#e37400',
  unjudged: '#9aa0a6',
  missing: '#d93025',
  extra: '#d93025',
};

export interface DrawnEdge {
  from: string;
  to: string;
  label: string;
  kind: EdgeKind;
}

const BOX_W = 130;
const BOX_H = 26;

export function machineDrawing(id: string, initial: string, states: readonly string[], edges: readonly DrawnEdge[]): string {
  const merged = new Map<string, { from: string; to: string; kind: EdgeKind; labels: string[] }>();
  for (const e of edges) {
    const k = `${e.from}\u0000${e.to}\u0000${e.kind}`;
    const m = merged.get(k) ?? { from: e.from, to: e.to, kind: e.kind, labels: [] };
    m.labels.push(e.label);
    merged.set(k, m);
  }
  const all = [...merged.values()];
  const pos = layout(
    states,
    all.map((e) => ({ from: e.from, to: e.to, via: e.labels[0] ?? '' })),
    initial,
  );
  const xs = [...pos.values()].map((p) => p.x);
  const ys = [...pos.values()].map((p) => p.y);
  const w = Math.max(...xs, 0) + BOX_W + 220;
  const h = Math.max(...ys, 0) + BOX_H + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="learned-machine" data-machine="${x(id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${x(`state machine ${id}`)}">`,
    '<defs>',
    ...Object.entries(EDGE_COLOURS).map(
      ([k, c]) =>
        `<marker id="${x(`${id}-head-${k}`)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    ),
    '</defs>',
  ];
  const loops = new Map<string, number>();
  const order: EdgeKind[] = ['unjudged', 'match', 'freedom', 'missing', 'extra', 'difference'];
  all.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const e of all) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const colour = EDGE_COLOURS[e.kind];
    const dash = e.kind === 'unjudged' ? ' stroke-dasharray="4 3"' : e.kind === 'extra' ? ' stroke-dasharray="5 2"' : '';
    const title = `${e.from} → ${e.to}\n${e.labels.join('\n')}`;
    const short = e.labels.length > 1 ? `${e.labels[0]!.split(' / ')[0]} +${e.labels.length - 1}` : (e.labels[0] ?? '');
    let d: string;
    let tx: number;
    let ty: number;
    if (e.from === e.to) {
      const n = loops.get(e.from) ?? 0;
      loops.set(e.from, n + 1);
      const r = 10 + 6 * n;
      const sx = a.x + BOX_W;
      d = `M${sx},${a.y + 6} C${sx + 2 * r},${a.y - r} ${sx + 2 * r},${a.y + BOX_H + r} ${sx},${a.y + BOX_H - 6}`;
      tx = sx + 2 * r + 2;
      ty = a.y + 8 + 11 * n;
    } else {
      const x1 = a.x + BOX_W / 2;
      const y1 = b.y > a.y ? a.y + BOX_H : a.y;
      const x2 = b.x + BOX_W / 2;
      const y2 = b.y > a.y ? b.y : b.y + BOX_H;
      // back edges and edges within a row bend to the side so that they do not overlap forward ones
      const bend = b.y > a.y ? 0 : 60 + 10 * (all.indexOf(e) % 5);
      const cx = (x1 + x2) / 2 + bend;
      const cy = (y1 + y2) / 2;
      d = bend ? `M${x1},${y1} Q${cx},${cy} ${x2},${y2}` : `M${x1},${y1} L${x2},${y2}`;
      tx = cx + 4;
      ty = cy;
    }
    parts.push(
      `<g class="tr ${e.kind}" data-kind="${e.kind}" data-from="${x(e.from)}" data-to="${x(e.to)}"><title>${x(title)}</title>` +
        `<path d="${d}" fill="none" stroke="${colour}" stroke-width="${e.kind === 'match' || e.kind === 'unjudged' ? 1.3 : 2.2}"${dash} marker-end="url(#${x(`${id}-head-${e.kind}`)})"/>` +
        `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" font-size="9" fill="${colour}">${x(short.length > 34 ? `${short.slice(0, 33)}…` : short)}</text></g>`,
    );
  }
  for (const [s, p] of pos) {
    parts.push(
      `<g class="state" data-state="${x(s)}"><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="5" fill="${s === initial ? '#e8f0fe' : '#ffffff'}" stroke="#3c4043"/>` +
        `<text x="${p.x + BOX_W / 2}" y="${p.y + BOX_H / 2 + 4}" font-size="11" text-anchor="middle" font-family="monospace">${x(s)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
