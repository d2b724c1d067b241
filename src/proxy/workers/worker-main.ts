// The entry point the main process forks for each worker (--concurrency N runs N-1 of them).
import { runWorker } from './worker.js';

runWorker();
