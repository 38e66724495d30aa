import { processIo, run } from './program.js';

/** Entry point of `codedance` (bin/codedance.js) and `npm run cli --`. */
process.exitCode = await run(process.argv.slice(2), processIo());
