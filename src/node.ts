/**
 * The Node-only part of rnnkit: files on disk. Import from 'rnnkit/node'; everything else comes from
 * 'rnnkit' and also runs in a browser.
 *
 * @packageDocumentation
 * @module rnnkit/node
 */
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, checkpointName, LATEST } from './io/checkpoint_files.js';
