/**
 * The Node.js versions stedi supports, and the AWS SDK's notice about them.
 *
 * The AWS SDK for JavaScript v3 prints a 9-line `NodeVersionSupportWarning` through
 * `process.emitWarning` when a client is created on Node.js below 22, once per copy of its core
 * module (a build loads several). Its documented switch,
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, silences that one warning and no other.
 * stedi sets it and says the same thing once per command, in one line, when the command talks
 * to AWS; a user who set the switch themselves has opted out and hears nothing.
 */

export const SDK_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** The Node.js major version the AWS SDK releases after the first week of January 2027 require. */
export const SDK_NODE_MAJOR = 22;
/** The Node.js versions stedi runs on (package.json `engines`). */
export const SUPPORTED_NODE = '20 or later';

/** The one-line notice for this Node.js version, or undefined when there is nothing to say. */
export function nodeSupportNotice(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major) || major >= SDK_NODE_MAJOR) return undefined;
  return `Node.js ${version}: the AWS SDK releases after the first week of January 2027 require Node.js ${SDK_NODE_MAJOR} or later; stedi runs on Node.js ${SUPPORTED_NODE}, but upgrade to ${SDK_NODE_MAJOR} to keep receiving AWS SDK fixes (set ${SDK_WARNING_SWITCH}=true to silence this)`;
}

let pending: string | undefined;
let write: (line: string) => void = () => undefined;

/**
 * Called once at start-up, before any AWS client exists: silences the SDK's own warning and
 * keeps stedi's notice for the first command step that talks to AWS (unless the user opted out).
 */
export function prepareNodeSupport(env: NodeJS.ProcessEnv, version: string, out: (line: string) => void): void {
  const optedOut = env[SDK_WARNING_SWITCH] === 'true';
  env[SDK_WARNING_SWITCH] = 'true';
  pending = optedOut ? undefined : nodeSupportNotice(version);
  write = out;
}

/** Prints the notice the first time a command reaches for the AWS SDK; later calls print nothing. */
export function announceNodeSupport(): void {
  if (pending === undefined) return;
  const line = pending;
  pending = undefined;
  write(`warning: ${line}`);
}
