// Where the package's own files are, from src/ (tsx) or dist/ (compiled): both sit one level below the root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
