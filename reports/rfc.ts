/**
 * RFC references as the rules write them (`RFC 5246 §7.4.1.3; RFC 8446
 * §4.1.3, App. B.4`) turned into links to rfc-editor.org anchors
 * (`#section-7.4.1.3`, `#appendix-B.4`). Only hrefs: nothing is fetched.
 */
export interface RfcLink {
  text: string;
  href: string;
}

const BASE = 'https://www.rfc-editor.org/rfc/rfc';

export function rfcLinks(refs: string | readonly string[]): RfcLink[] {
  const out: RfcLink[] = [];
  for (const ref of typeof refs === 'string' ? [refs] : refs) {
    for (const part of ref.split(';')) {
      const m = /^\s*RFC\s*(\d+)(.*)$/i.exec(part);
      if (!m) continue;
      const num = m[1]!;
      const rest = m[2]!.replace(/\([^)]*\)/g, '');
      let appendix = false;
      let any = false;
      for (const raw of rest.split(',')) {
        const tok = raw.trim();
        if (!tok) continue;
        const sec = /^§\s*(\d+(?:\.\d+)*)/.exec(tok);
        const app = /^App(?:endix|\.)?\s*([A-Z](?:\.\d+)*)/.exec(tok);
        const bareSec = /^(\d+(?:\.\d+)*)$/.exec(tok);
        const bareApp = /^([A-Z](?:\.\d+)*)$/.exec(tok);
        let anchor: string | undefined;
        if (sec) {
          appendix = false;
          anchor = `section-${sec[1]}`;
        } else if (app) {
          appendix = true;
          anchor = `appendix-${app[1]}`;
        } else if (bareSec && !appendix) anchor = `section-${bareSec[1]}`;
        else if (bareApp && appendix) anchor = `appendix-${bareApp[1]}`;
        if (anchor) {
          any = true;
          out.push({ text: `RFC ${num} ${tok}`, href: `${BASE}${num}#${anchor}` });
        }
      }
      if (!any) out.push({ text: `RFC ${num}`, href: `${BASE}${num}` });
    }
  }
  return out;
}
