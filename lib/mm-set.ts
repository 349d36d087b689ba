/**
 * Where the whole Maros–Meszaros set is on this machine, for the whole-set tests, the fuzzer and
 * the benchmarks: the folder named by DIFFQP_MM_DIR, else ../shared/maros-meszaros beside the
 * repository. A clone has neither, and runs on the few files in test/fixtures instead;
 * `diffqp fetch-mm --dir D` (lib/fetch-mm.ts) makes a folder D to point DIFFQP_MM_DIR at.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, QpError } from './errors';

/** The environment variable naming a folder with the set's NAME.QPS.gz files and index.csv. */
export const MM_DIR_ENV = 'DIFFQP_MM_DIR';

/** What a skipped whole-set test or a script without the set says. */
export const MM_SET_MISSING =
  `the whole Maros–Meszaros set is not here: set ${MM_DIR_ENV}=D (a folder of NAME.QPS.gz files and index.csv), ` +
  'or make one with `diffqp fetch-mm --dir D` (docs/MAROS_MESZAROS.md)';

/** ../shared/maros-meszaros beside the repository (dist/lib → the repository root → its parent). */
const besideRepository = path.resolve(__dirname, '..', '..', '..', 'shared', 'maros-meszaros');

/**
 * The set's folder, or undefined when there is none. A DIFFQP_MM_DIR without index.csv is an
 * error (ERR_QP_INVALID_OPTION naming the variable), never a silent skip: it was asked for.
 */
export function mmSetDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const asked = env[MM_DIR_ENV];
  if (asked !== undefined && asked !== '') {
    const dir = path.resolve(asked);
    if (!existsSync(path.join(dir, 'index.csv'))) {
      throw new QpError(
        ErrorCode.INVALID_OPTION,
        `${MM_DIR_ENV}=${asked}: no index.csv in ${dir} (make the folder with \`diffqp fetch-mm --dir ${asked}\`)`,
        {
          field: MM_DIR_ENV,
          value: asked,
        },
      );
    }
    return dir;
  }
  return existsSync(path.join(besideRepository, 'index.csv')) ? besideRepository : undefined;
}
