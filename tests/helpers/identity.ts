/**
 * The canonical form of a customer identity, as macros/identity.sql defines it, for tests: the
 * runner's own TypeScript form (runner/landing/identity.ts, which the ingestion derives
 * subject_key from), proven equal to the macro on both engines by tests/unit/identity.
 */
export { canonicalEmail, IDENTITY_SPACES } from '../../runner/landing/identity.js';
