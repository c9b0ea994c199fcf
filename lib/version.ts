import pkg from '../package.json' with { type: 'json' };

/** The package version, from package.json (one place to bump). */
export const version: string = pkg.version;
