/**
 * The Node-only part of rnnkit: files on disk. Import from 'rnnkit/node'; everything else comes from
 * 'rnnkit' and also runs in a browser.
 */
export { writeFileAtomic, writeDirAtomic, pointLinkAtomic } from './io/fs.js';
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, checkpointName, epochCheckpointName, LATEST } from './io/checkpoint_files.js';
