/**
 * The `stedi` command as the benchmarks run it: the runner compiled with the benchmarks into
 * dist-bench/ (`npm run bench` compiles both), so a rebuild of dist/ by a test run elsewhere in
 * the tree cannot change the code under measurement halfway through a benchmark.
 */
import { main } from '../runner/cli/main.js';

process.exitCode = await main(process.argv);
