import { describe, expect, it } from 'vitest';
import { safeKey, safeText, scrubEngineMessage } from '../../../runner/core/redact.js';

describe('safeText: names stedi did not write, as they may be shown', () => {
  it('escapes line breaks and invisible characters, so a file name cannot forge a log line', () => {
    const s = safeText('a\nERROR fake line\r\u202e\u200b.json');
    expect(s).not.toMatch(/[\n\r\u202e\u200b]/);
    expect(s).toBe('a\\u000aERROR fake line\\u000d\\u202e\\u200b.json');
  });
  it('masks what looks like personal data and keeps the rest', () => {
    for (const [raw, secret] of [
      ['export-zed.case@example.com.json', 'zed.case@example.com.json'],
      ['calls +1 (555) 123-4567.json', '+1 (555) 123-4567'],
      ['born 1987-02-03.json', '1987-02-03'],
      ['device 0a1b2c3d-1111-2222-3333-444455556666.json', '0a1b2c3d-1111-2222-3333-444455556666'],
    ] as const) {
      const s = safeText(raw);
      expect(s).not.toContain(secret);
      expect(s).toMatch(/<masked #[0-9a-f]{4}>/);
    }
    expect(safeText('customer-1700100000000.json')).toBe('customer-1700100000000.json');
    expect(safeText('from 555.123.4567.json')).not.toContain('555.123.4567');
    expect(safeText('customer-2.json')).toBe('customer-2.json');
  });
  it('truncates', () => {
    expect(safeText('x'.repeat(500), 20)).toHaveLength(20);
  });
});

describe('safeKey: JSON keys outside the schema', () => {
  it('shows field names and masks anything else', () => {
    expect(safeKey('gyro')).toBe('"gyro"');
    expect(safeKey('zed@example.com')).toMatch(/^<key #[0-9a-f]{4}>$/);
    expect(safeKey('+15551234567')).toMatch(/^<key #[0-9a-f]{4}>$/);
    expect(safeKey('a\nb')).toMatch(/^<key #/);
    expect(safeKey('Zed Case')).toMatch(/^<key #/);
  });
});

describe('scrubEngineMessage: no value of the data in an engine error', () => {
  it('removes quoted values, long numbers, emails and dates; keeps identifiers and positions', () => {
    const cases: [string, string[], string[]][] = [
      ["Conversion Error: Could not convert string 'zed@example.com' to INT64\n\nLINE 3: select cast(email as bigint)", ['zed@example.com'], ['Conversion Error', 'INT64', 'LINE 3']],
      ['Constraint Error: Duplicate key "email: zed@example.com" violates primary key constraint.', ['zed@example.com'], ['Duplicate key']],
      ['Conversion Error: Type DOUBLE with value 1e+300 can\'t be cast to INT64', ['1e+300'], ['DOUBLE', 'INT64']],
      ['Binder Error: Referenced column "emial" not found in FROM clause! Candidate bindings: "email"', [], ['"emial"', '"email"']],
      ['INVALID_CAST_ARGUMENT: Cannot cast 15551234567 to INTEGER', ['15551234567'], ['INVALID_CAST_ARGUMENT', 'INTEGER']],
      ['value 1987-02-03 out of range', ['1987-02-03'], ['out of range']],
      ['serial 0a1b2c3d-1111-2222-3333-444455556666 and unquoted zed@example.com', ['0a1b2c3d', 'zed@example.com'], ['serial']],
    ];
    for (const [msg, gone, kept] of cases) {
      const s = scrubEngineMessage(msg);
      for (const g of gone) expect(s).not.toContain(g);
      for (const k of kept) expect(s).toContain(k);
    }
  });
  it('keeps multi-line messages but escapes other control characters', () => {
    expect(scrubEngineMessage('a\nb\u0007')).toBe('a\nb\\u0007');
  });
});

describe('scrubEngineMessage with the failing statement', () => {
  it('keeps a quoted name the statement spells, and still redacts values', () => {
    const sql = 'select email, t.serial_number from "stedi"."customer_trusted" t';
    expect(scrubEngineMessage("COLUMN_NOT_FOUND: line 3:5: Column 'email' cannot be resolved", sql)).toBe("COLUMN_NOT_FOUND: line 3:5: Column 'email' cannot be resolved");
    expect(scrubEngineMessage("Table 'stedi.customer_trusted' not found", sql)).toBe("Table 'stedi.customer_trusted' not found");
    expect(scrubEngineMessage("Cannot cast 'alice' to BIGINT", sql)).toBe("Cannot cast '<redacted>' to BIGINT");
    expect(scrubEngineMessage("Could not convert string 'zed@example.com' to INT64", sql)).not.toContain('zed@example.com');
  });

  it('keeps a double-quoted dotted name only when the statement spells every part', () => {
    const sql = 'select email from "stedi"."customer_trusted"';
    expect(scrubEngineMessage('Table with name "stedi.customer_trusted" does not exist', sql)).toBe('Table with name "stedi.customer_trusted" does not exist');
    // a dotted text the statement does not spell may be a value (a user name): redacted, with or without a statement
    expect(scrubEngineMessage('Duplicate key "john.smith"', sql)).toBe('Duplicate key "<redacted>"');
    expect(scrubEngineMessage('Duplicate key "stedi.john"', sql)).toBe('Duplicate key "<redacted>"');
    expect(scrubEngineMessage('Table with name "stedi.customer_trusted" does not exist')).toBe('Table with name "<redacted>" does not exist');
  });
});
