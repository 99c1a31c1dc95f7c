// The programmatic entry of @leasehold/cli: the same commands the `leasehold` binary runs.
export { main } from './main.js';
export type { Output } from './main.js';
export { CliError } from './errors.js';
export type { CliErrorCode } from './errors.js';
