/** Where a command writes: the binary passes stdout and stderr, tests pass collectors. */
export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}
