/**
 * The one import of @peculiar/x509 (X.509 parsing and signature verification over WebCrypto),
 * with the reflect-metadata polyfill it needs loaded first.
 */
import 'reflect-metadata';
export * as x509 from '@peculiar/x509';
