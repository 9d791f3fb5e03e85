#!/usr/bin/env node
import { Command } from 'commander';
import { addTrainCommand } from './train.js';
import { addSampleCommand } from './sample.js';
import { addGradflowCommand } from './gradflow/index.js';
import { addCaptionCommand } from './caption/index.js';
import { addExportCommand } from './export.js';
import { runCommand } from './errors.js';
import { endQuietlyWhenOutputCloses } from './stdout.js';
import { packageVersion } from './version.js';

endQuietlyWhenOutputCloses();
const program = new Command('rnnkit')
  .description('recurrent neural networks: train character-level language models and sample from them')
  .version(packageVersion(), '-V, --version', 'print the version of rnnkit')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ showGlobalOptions: true });
addTrainCommand(program);
addSampleCommand(program);
addGradflowCommand(program);
addCaptionCommand(program);
addExportCommand(program);
// RNNKIT_PARSE_ONLY=1: stop once the options are parsed and checked (preAction runs after that), so a test
// can check that a documented command line is accepted without running it
program.hook('preAction', () => {
  if (process.env.RNNKIT_PARSE_ONLY === '1') process.exit(0);
});

await runCommand(() => program.parseAsync(process.argv).then(() => undefined));
