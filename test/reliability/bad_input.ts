/**
 * One bad command line and what rnnkit must answer: the exit code and a phrase of its one-line error.
 * `args` are rnnkit's arguments, run in a fresh temporary folder (relative paths resolve there) that
 * `setup` may fill first. A new bad input is one entry in a table_*.ts file.
 */
export interface BadInput {
  args: string[];
  exit: number;
  message: RegExp;
  setup?: (dir: string) => void | Promise<void>;
  stdin?: string;
  timeoutMs?: number;
  name?: string;
}
