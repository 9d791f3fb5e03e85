/*
 * Files served next to the page (web/vite.config.ts serves them in development and copies them into
 * web/dist), at these paths relative to the page.
 */

/** The slice of Moby Dick the page trains on by default. */
export const MOBY_FILE = 'moby-dick.txt';

/** The pretrained character model that ships with the package (models/ at the package root), when present. */
export const PRETRAINED_FILE = 'models/moby-dick-lstm256.safetensors';
