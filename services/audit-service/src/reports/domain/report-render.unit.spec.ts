import { buildSingleRecordReport } from './report-builders';
import { csvCell, renderReport } from './report-render';

const hostile = '<script>alert("x")</script> & \'quote\'';
const report = buildSingleRecordReport(
  'tenant-<b>',
  'rebuild',
  {
    leafIndex: 7,
    eventId: '00000000-0000-4000-8000-000000000007',
    eventType: 'tag.read_models_rebuilt.v1',
    actorId: '=HYPERLINK("http://evil")',
    subjectId: hostile,
    correlationId: 'c,1',
    occurredAt: '2026-11-30T10:00:00.000Z',
    recordedAt: '2026-11-30T10:00:01.000Z',
    data: { note: 'line1\nline2 "quoted"', name: hostile },
  },
  [],
);

describe('report rendering', () => {
  describe('given a report whose fields hold markup, formulas, commas, quotes and line breaks', () => {
    it('when rendered as HTML, then no caller text is markup: every < > & " \' is escaped, and the page runs no script', () => {
      const { contentType, content } = renderReport(report, 'html');
      expect(contentType).toBe('text/html; charset=utf-8');
      expect(content).not.toContain('<script>');
      expect(content).not.toContain('<b>');
      expect(content).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quote&#39;');
      expect(content).toContain("default-src 'none'");
      expect(content).toContain('@media print');
    });
    it('when rendered as CSV, then fields are quoted per RFC 4180 and a formula is defused', () => {
      const { content } = renderReport(report, 'csv');
      expect(content).toContain('"line1\nline2 ""quoted"""');
      expect(content).toContain(`actor,"'=HYPERLINK(""http://evil"")"`);
      expect(content.endsWith('\r\n')).toBe(true);
      expect(csvCell('-1+2')).toBe("'-1+2");
      expect(csvCell('plain')).toBe('plain');
    });
    it('when rendered as JSON, then it parses back to the same report', () => {
      expect(JSON.parse(renderReport(report, 'json').content)).toEqual(report);
    });
  });
});
