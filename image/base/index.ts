/** The image's base file system: pinned Debian packages, selected and closed over their ELF dependencies. */
export * from './apt';
export * from './assemble-base';
export * from './base-spec';
export * from './deb-cache';
export * from './debian-lock';
export * from './elf';
export * from './lock-debian';
