/**
 * npm run example -- NAME [--small] [--out DIR] [--seed N]: the papers' learning experiments
 * (examples/, docs/TRAINING.md). Each prints its progress and writes its SVG into --out.
 */
import { Command, numberFlag, parseCommand, runScript, UsageError } from '../lib/args';
import { ExampleOptions, ExampleResult } from '../examples/common';
import { runGeometry } from '../examples/geometry';
import { runPortfolio } from '../examples/portfolio';
import { runSudoku } from '../examples/sudoku';

const examples: Record<string, (o: ExampleOptions) => ExampleResult> = {
  sudoku: runSudoku,
  portfolio: runPortfolio,
  geometry: runGeometry,
};

export const command = {
  name: 'example',
  run: 'npm run example --',
  synopsis: `<${Object.keys(examples).join('|')}> [options]`,
  about: 'Runs one of the learning experiments of docs/TRAINING.md and writes its SVG.',
  flags: {
    small: { type: 'boolean', help: 'the size CI runs (seconds) instead of the full experiment' },
    out: { type: 'string', arg: 'DIR', default: 'example-output', help: 'where the SVG files go' },
    seed: { type: 'string', arg: 'N', default: '1', help: 'seed of the generated data' },
  },
  positionals: { min: 1, max: 1 },
} satisfies Command;

runScript(command, async () => {
  const { values, positionals } = parseCommand(command, process.argv.slice(2));
  const name = positionals[0]!;
  const run = examples[name];
  if (!run) throw new UsageError(`unknown example '${name}' (known: ${Object.keys(examples).join(', ')})`);
  run({
    small: values.small,
    out: values.out,
    seed: numberFlag('seed', values.seed, { integer: true, min: 0 }),
    log: (line) => console.log(line),
  });
});
