/** vigil's version, from package.json (one level above both src/ and dist/). */
import fs from 'node:fs';
import path from 'node:path';

export const VERSION: string = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
