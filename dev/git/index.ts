/**
 * Real Git for tests and `fluxops demo`: a bare fleet remote (optionally served by `git daemon` or
 * by `git http-backend` behind a token-checking HTTP server, both on 127.0.0.1), work trees that
 * commit as a fixed identity, and a parsed `git log` of the remote.
 */
export * from './git-cli';
export * from './create-git-remote';
export * from './clone-workdir';
export * from './remote-log';
export * from './http-git-server';
