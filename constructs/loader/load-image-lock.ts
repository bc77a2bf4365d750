import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_LOCK_FILE, ImageLock, emptyImageLock, parseImageLock } from '../lock';

/**
 * Reads `<configDir>/fluxops.lock.yaml`. A missing file is an empty lock (a new fleet); an
 * unreadable or invalid one throws (ImageLockError names the file and field).
 */
export function loadImageLock(configDir: string, fileName: string = IMAGE_LOCK_FILE): ImageLock {
  const file = path.resolve(configDir, fileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyImageLock();
    throw e;
  }
  return parseImageLock(text, file);
}
