/** The certificate layer below evidence and sign: verdict vocabulary, X.509 loading. */
export * from './check.js';
