/**
 * Writes one entity's landing files: lines in, files out, one open file at a time, flushed in
 * chunks of about a megabyte, so memory stays bounded whatever the volume. Applies the file
 * framing a layout asks for: BOM, CRLF line endings, a trailing comma after each object, and a
 * last line cut off mid-record (held back until the file closes). The only I/O of the generator
 * besides generate.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataFileName, hasDefect, type EntityLayout } from './layout.js';
import type { GenerateOptions } from './options.js';

const FLUSH_CHARS = 1 << 20;

export interface EntityWriteStats {
  files: number;
  bytes: number;
  largestFileBytes: number;
  /** Complete lines written (a cut-off last line is not one). */
  lines: number;
  truncatedLines: number;
}

export class EntityWriter {
  private fd: number | undefined;
  private file = -1;
  private chunk = '';
  private pending: string | undefined;
  private eol = '\n';
  private comma = '';
  private truncate = false;
  readonly stats: EntityWriteStats = { files: 0, bytes: 0, largestFileBytes: 0, lines: 0, truncatedLines: 0 };

  constructor(
    private readonly dir: string,
    private readonly layout: EntityLayout,
    private readonly o: GenerateOptions,
  ) {}

  /** Appends lines to data file `file`; file indexes must not decrease. */
  write(file: number, lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (file !== this.file) this.open(file);
    for (const line of lines) {
      if (this.pending !== undefined) {
        this.chunk += this.pending + this.comma + this.eol;
        this.stats.lines++;
      }
      this.pending = line;
    }
    if (this.chunk.length >= FLUSH_CHARS) this.flush();
  }

  private open(file: number): void {
    if (file < this.file) throw new Error(`internal: ${this.layout.entity} file ${file} after file ${this.file}`);
    this.closeFile();
    const l = this.layout;
    this.file = file;
    this.fd = fs.openSync(path.join(this.dir, dataFileName(l.entity, this.o, file)), 'w');
    this.eol = hasDefect(l, file, 'crlf') ? '\r\n' : '\n';
    this.comma = hasDefect(l, file, 'trailing_comma') ? ',' : '';
    this.truncate = hasDefect(l, file, 'truncated_record');
    this.chunk = hasDefect(l, file, 'bom') ? '\uFEFF' : '';
    this.stats.files++;
  }

  private flush(): void {
    if (this.fd !== undefined && this.chunk) fs.writeSync(this.fd, this.chunk);
    this.chunk = '';
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    if (this.pending !== undefined) {
      if (this.truncate) {
        this.chunk += this.pending.slice(0, Math.max(1, Math.floor(this.pending.length / 2)));
        this.stats.truncatedLines++;
      } else {
        this.chunk += this.pending + this.comma + this.eol;
        this.stats.lines++;
      }
    }
    this.pending = undefined;
    this.flush();
    const size = fs.fstatSync(this.fd).size;
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.stats.bytes += size;
    this.stats.largestFileBytes = Math.max(this.stats.largestFileBytes, size);
    if (size > this.o.maxFileBytes) throw new Error(`internal: ${dataFileName(this.layout.entity, this.o, this.file)} has ${size} bytes, above the bound of ${this.o.maxFileBytes}`);
  }

  close(): EntityWriteStats {
    this.closeFile();
    return this.stats;
  }
}
