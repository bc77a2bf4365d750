/**
 * The deterministic tar writer of the test images is the image builder's (image/oci/tar.ts): one
 * implementation for test layers and the FluxOps image. Re-exported here for the dev helpers.
 */
export { createTar, InvalidTarEntryError, type TarEntry } from '../../image/oci/tar';
