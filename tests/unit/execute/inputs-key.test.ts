/**
 * The pseudonymisation key as a recorded input (runner/execute/inputs.ts): only a source with a
 * derived column records the key's fingerprint; it travels downstream with the other inputs; two
 * records with different fingerprints for the same source disagree, and a record without one (an
 * earlier stedi, or a command that ingested no keyed source) never disagrees on it.
 */
import { describe, expect, it } from 'vitest';
import { disagreements, ownInputs, union } from '../../../runner/execute/inputs.js';
import type { ManifestNode } from '../../../runner/manifest/types.js';

const source = (id: string, derived: boolean) => ({
  unique_id: id, resource_type: 'source', name: id.split('.').pop(), source_name: 'landing', location: `/l/${id}`,
  columns: [{ name: 'email', description: '', pii: true, meta: {} }, ...(derived ? [{ name: 'subject_key', description: '', pii: false, meta: {}, derived: { pseudonym_of: 'email' } }] : [])],
}) as unknown as ManifestNode;

describe('the pseudonymisation key as an input', () => {
  it('is recorded by a source with a derived column only, and only when the command has a key', () => {
    expect(ownInputs(source('source.p.landing.customer', true), 'local', 'aaaa').keys).toEqual({ 'source.p.landing.customer': 'aaaa' });
    expect(ownInputs(source('source.p.landing.accelerometer', false), 'local', 'aaaa').keys).toBeUndefined();
    expect(ownInputs(source('source.p.landing.customer', true), 'local').keys).toBeUndefined();
  });

  it('travels downstream and disagrees when another key built the same source', () => {
    const a = ownInputs(source('source.p.landing.customer', true), 'local', 'aaaa');
    const b = ownInputs(source('source.p.landing.customer', true), 'local', 'bbbb');
    const downstream = union({ target: 'local', vars: {}, landing: {} }, a);
    expect(downstream.keys).toEqual({ 'source.p.landing.customer': 'aaaa' });
    expect(disagreements(b, downstream)).toEqual([{ input: 'pseudonymisation key (fingerprint) of source.p.landing.customer', ours: 'bbbb', theirs: 'aaaa' }]);
    expect(disagreements(a, downstream)).toEqual([]);
  });

  it('a record without the key never disagrees on it', () => {
    const keyed = ownInputs(source('source.p.landing.customer', true), 'local', 'aaaa');
    const { keys: _dropped, ...older } = keyed;
    expect(disagreements(keyed, older)).toEqual([]);
    expect(disagreements(older, keyed)).toEqual([]);
  });
});
