// The project resolves modules the node10 way, which ignores package "exports" subpaths; this points the
// `@electric-sql/pglite/node-postgres` subpath at the declarations PGlite ships for it.
declare module '@electric-sql/pglite/node-postgres' {
  export * from '@electric-sql/pglite/dist/node-postgres/index.js';
}
