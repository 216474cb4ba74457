/**
 * Certificate stores: identity -> certificate. A static one (files, PEM strings) and a caching
 * proxy in front of any async store (the original Nanite's design).
 */
import { X509Certificate } from 'node:crypto';
import { readPemOrFile, splitPem } from './certificates';

/** Maps identities to certificates. `put` is optional: read-only stores ignore what a mapper learns. */
export interface CertificateStore {
  /** The certificate of `identity`, or undefined when unknown. */
  get(identity: string): Promise<X509Certificate | undefined> | X509Certificate | undefined;
  /** Remembers a certificate learned from a verified packet (e.g. an agent's Register). */
  put?(identity: string, certificate: X509Certificate): void;
}

/** A fixed set of certificates, given as PEM text or file paths, keyed by the identity you name. */
export class StaticCertificateStore implements CertificateStore {
  private readonly certs = new Map<string, X509Certificate>();

  constructor(entries: Readonly<Record<string, string>> = {}) {
    for (const [identity, pemOrPath] of Object.entries(entries)) {
      const pem = splitPem(readPemOrFile(pemOrPath, 'store certificate'))[0];
      if (pem) this.certs.set(identity, new X509Certificate(pem));
    }
  }

  get(identity: string): X509Certificate | undefined {
    return this.certs.get(identity);
  }

  put(identity: string, certificate: X509Certificate): void {
    this.certs.set(identity, certificate);
  }

  /** Identities held. */
  get size(): number {
    return this.certs.size;
  }
}

/** Options of {@link CachingCertificateStore}. */
export interface CachingCertificateStoreOptions {
  /** Most certificates kept (default 1 000; the least recently used goes first). */
  max?: number;
}

/**
 * A caching proxy: answers from memory what it has, asks `inner` otherwise (once per identity at a
 * time, however many ask together), and keeps the most recently used `max` answers.
 */
export class CachingCertificateStore implements CertificateStore {
  private readonly cache = new Map<string, X509Certificate>();
  private readonly inFlight = new Map<string, Promise<X509Certificate | undefined>>();
  private readonly max: number;
  private misses = 0;

  constructor(private readonly inner: CertificateStore, options: CachingCertificateStoreOptions = {}) {
    this.max = options.max ?? 1_000;
  }

  /** Lookups the inner store had to answer. */
  get innerLookups(): number {
    return this.misses;
  }

  get(identity: string): X509Certificate | undefined | Promise<X509Certificate | undefined> {
    const hit = this.cache.get(identity);
    if (hit) {
      this.cache.delete(identity);
      this.cache.set(identity, hit);
      return hit;
    }
    let p = this.inFlight.get(identity);
    if (!p) {
      this.misses++;
      p = Promise.resolve(this.inner.get(identity)).then(
        (c) => {
          this.inFlight.delete(identity);
          if (c) this.remember(identity, c);
          return c;
        },
        (err: unknown) => {
          this.inFlight.delete(identity);
          throw err;
        },
      );
      this.inFlight.set(identity, p);
    }
    return p;
  }

  put(identity: string, certificate: X509Certificate): void {
    this.remember(identity, certificate);
    this.inner.put?.(identity, certificate);
  }

  private remember(identity: string, c: X509Certificate): void {
    this.cache.delete(identity);
    this.cache.set(identity, c);
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string);
  }
}
