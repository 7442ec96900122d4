/** Which request paths `stedi docs serve` maps to a file (runner/cli/docs-serve.ts), before any file is looked at. */
import { describe, expect, it } from 'vitest';
import { portOf, requestedFile } from '../../../runner/cli/docs-serve.js';

describe('requestedFile', () => {
  it('maps / to index.html and plain paths to files below the folder', () => {
    expect(requestedFile('/')).toBe('index.html');
    expect(requestedFile('/?x=1#top')).toBe('index.html');
    expect(requestedFile('/lineage.json')).toBe('lineage.json');
    expect(requestedFile('/./a//b.png')).toBe('a/b.png');
    expect(requestedFile('/caf%C3%A9.txt')).toBe('café.txt');
  });

  it('refuses every way out of the folder, and what it cannot read unambiguously', () => {
    for (const bad of [
      '/../stedi_project.yml', '/a/../../x', '/..', '/%2e%2e/x', '/%2E%2E/x', '/.%2e/x', '/..%2fx', '/a%2f..%2f..%2fx', '/..%5cx', '/a\\..\\x',
      '/%00', '/index.html%00.png', '/%zz', 'index.html', 'http://evil.example/', '//evil.example/../x',
    ]) {
      expect(requestedFile(bad), bad).toBeUndefined();
    }
  });
});

describe('portOf', () => {
  it('takes 0 to 65535, 8080 when not given', () => {
    expect(portOf(undefined)).toBe(8080);
    expect(portOf('0')).toBe(0);
    expect(portOf('65535')).toBe(65535);
    for (const bad of ['65536', '-1', 'http', '80.5', '']) expect(() => portOf(bad), bad).toThrow(/--port must be a whole number from 0 to 65535/);
  });
});
