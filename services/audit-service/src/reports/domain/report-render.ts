import type { Report } from './report';

export type ReportFormat = 'json' | 'csv' | 'html';

export function renderReport(report: Report, format: ReportFormat): { contentType: string; content: string } {
  switch (format) {
    case 'json':
      return { contentType: 'application/json', content: `${JSON.stringify(report, null, 2)}\n` };
    case 'csv':
      return { contentType: 'text/csv; charset=utf-8', content: renderCsv(report) };
    case 'html':
      return { contentType: 'text/html; charset=utf-8', content: renderHtml(report) };
    default: {
      const never: never = format;
      throw new Error(`no such format ${String(never)}`);
    }
  }
}

/**
 * RFC 4180 (CRLF, fields with a comma, quote or line break quoted, quotes doubled). A cell that a
 * spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading apostrophe (OWASP CSV injection).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function renderCsv(report: Report): string {
  const lines: string[][] = [
    ['report', report.id],
    ['title', report.title],
    ['period', report.periodStart, report.periodEnd],
  ];
  for (const [label, value] of report.facts) lines.push([label, value]);
  for (const section of report.sections) lines.push([], [section.title], section.columns, ...section.rows);
  return lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderHtml(report: Report): string {
  const e = escapeHtml;
  const table = (columns: string[], rows: string[][]) =>
    rows.length === 0
      ? '<p class="none">None.</p>'
      : `<table><thead><tr>${columns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(report.title)}</title>
<style>
body{font:11pt/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:16pt}h2{font-size:12pt;margin-top:1.5em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.2em .4em;text-align:left;vertical-align:top;word-break:break-all}
th{background:#eee}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:600}
.none{color:#666}footer{margin-top:2em;font-size:9pt;color:#444}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}
</style></head><body>
<h1>${e(report.title)}</h1>
<p>Tenant ${e(report.tenantId)} · ${e(report.periodStart)} – ${e(report.periodEnd)} · report ${e(report.id)}</p>
<dl>${report.facts.map(([l, v]) => `<dt>${e(l)}</dt><dd>${e(v)}</dd>`).join('')}</dl>
${report.sections.map((s) => `<h2>${e(s.title)}</h2>${table(s.columns, s.rows)}`).join('\n')}
<footer>Built from ${report.basedOn.length} audit-trail records; each can be proved with GetInclusionProof by its leaf index.</footer>
</body></html>
`;
}
