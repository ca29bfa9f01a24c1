// Jest's module sandbox cannot run PGlite: its WASM glue calls import(), which a vm script may only do under
// --experimental-vm-modules. This environment is loaded by Node itself, so it hands the tests Node's own loader
// for PGlite. Use it with the docblock `@jest-environment ./test/support/pglite-environment.ts`.
import { createRequire } from 'node:module';
import { TestEnvironment } from 'jest-environment-node';
import type * as PGliteModule from '@electric-sql/pglite';

export interface NativePGliteGlobal {
  /** `@electric-sql/pglite` as Node loads it, outside Jest's sandbox. */
  nativePGlite: () => typeof PGliteModule;
}

const nativeRequire = createRequire(__filename);

export default class PGliteEnvironment extends TestEnvironment {
  override async setup(): Promise<void> {
    await super.setup();
    const nativePGlite: NativePGliteGlobal['nativePGlite'] = () =>
      nativeRequire('@electric-sql/pglite') as typeof PGliteModule;
    Object.assign(this.global, { nativePGlite });
  }
}
