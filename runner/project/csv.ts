/** A minimal RFC 4180 CSV reader (quotes, doubled quotes, CRLF, quoted newlines). Pure. */

export interface CsvCell {
  text: string;
  quoted: boolean;
}

/** Parse CSV text into records of cells; blank lines are skipped. */
export function parseCsv(text: string): CsvCell[][] {
  const src = text.replace(/^\uFEFF/, '');
  const records: CsvCell[][] = [];
  let record: CsvCell[] = [];
  let cell = '';
  let quoted = false;
  let inQuotes = false;
  const endCell = (): void => {
    record.push({ text: quoted ? cell : cell.trim(), quoted });
    cell = '';
    quoted = false;
  };
  const endRecord = (): void => {
    endCell();
    if (!(record.length === 1 && !record[0]!.quoted && record[0]!.text === '')) records.push(record);
    record = [];
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      inQuotes = true;
      quoted = true;
      cell = '';
    } else if (ch === ',') endCell();
    else if (ch === '\n') endRecord();
    else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || record.length > 0 || quoted) endRecord();
  return records;
}

/** The header line of a CSV file (only the first record is needed). */
export function csvHeader(text: string): string[] {
  const first = firstRecordText(text);
  return (parseCsv(first)[0] ?? []).map((c) => c.text);
}

/** Text of the first non-blank record, honouring quoted newlines. */
function firstRecordText(text: string): string {
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === '\n' && !inQuotes) {
      if (text.slice(start, i).trim() !== '') return text.slice(start, i);
      start = i + 1;
    }
  }
  return text.slice(start);
}

/**
 * CSV text with a header line → row objects. Unquoted empty cells become null, every other
 * value stays a string (the unit-test runner casts to the column types).
 */
export function csvToRows(text: string): { rows: Record<string, unknown>[]; error?: string } {
  const [header, ...body] = parseCsv(text);
  if (!header) return { rows: [], error: 'CSV text has no header line' };
  const names = header.map((c) => c.text);
  const rows: Record<string, unknown>[] = [];
  for (const [i, rec] of body.entries()) {
    if (rec.length !== names.length) {
      return { rows, error: `CSV row ${i + 1} has ${rec.length} values, header has ${names.length}` };
    }
    rows.push(Object.fromEntries(names.map((n, j) => [n, cellValue(rec[j]!)])));
  }
  return { rows };
}

function cellValue(c: CsvCell): string | null {
  return !c.quoted && c.text === '' ? null : c.text;
}
