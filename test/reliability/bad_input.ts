/**
 * One bad command line: rnnkit's arguments, the exit code and a phrase of the one-line message it must
 * give. `setup` prepares the fresh temporary folder the command runs in (its working directory);
 * `stdin` is fed to it; `timeoutMs` bounds it (a hang fails the row).
 */
export interface BadInput { args: string[]; exit: number; message: RegExp; setup?: (dir: string) => void | Promise<void>; stdin?: string; timeoutMs?: number; name?: string }
