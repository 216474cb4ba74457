/**
 * Loads the actors an agent hosts from module files (.js, .cjs, .mjs). A module may export actor
 * classes (instantiated with no arguments), actor instances or `defineActor()` results, as named
 * exports, as its default export, or as `module.exports` itself.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NaniteError, getActorOptions, type ActorLike } from '@nanite/core';

/** The actors found in one module. */
export interface LoadedActors {
  /** Absolute path of the module. */
  path: string;
  actors: ActorLike[];
}

type Ctor = new () => object;

function isActorClass(value: unknown): value is Ctor {
  return typeof value === 'function' && getActorOptions(value) !== undefined;
}

function isActorObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { kind?: unknown; routes?: unknown; constructor?: unknown };
  if (v.kind === 'nanite-actor' && Array.isArray(v.routes)) return true;
  return typeof v.constructor === 'function' && getActorOptions(v.constructor) !== undefined;
}

/**
 * The actors among a module's exports: the export itself when it is an actor, else its own
 * enumerable values (named exports, and an ES module's default). A class exported under two names
 * is instantiated once.
 */
export function actorsFromExports(exported: unknown, path = '<module>'): ActorLike[] {
  const classes = new Set<Ctor>();
  const instances = new Set<object>();
  const consider = (value: unknown): boolean => {
    if (isActorClass(value)) classes.add(value);
    else if (isActorObject(value)) instances.add(value);
    else return false;
    return true;
  };
  if (!consider(exported) && exported !== null && (typeof exported === 'object' || typeof exported === 'function')) {
    for (const value of Object.values(exported as Record<string, unknown>)) consider(value);
  }
  const actors: ActorLike[] = [...instances];
  for (const C of classes) {
    try {
      actors.push(new C());
    } catch (cause) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor class ${C.name} from ${path} could not be constructed without arguments: ${(cause as Error).message}`, cause });
    }
  }
  return actors;
}

async function importModule(path: string): Promise<unknown> {
  if (extname(path) === '.mjs') return import(pathToFileURL(path).href);
  try {
    return createRequire(path)(path) as unknown;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // An ES module that require() cannot load (top-level await, or an older Node): import() can.
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return import(pathToFileURL(path).href);
    throw err;
  }
}

/**
 * Loads every module (paths relative to `cwd`) and returns its actors. Throws
 * `NANITE_ERR_INVALID_ARGUMENT` for a missing module, one that fails to load, or one exporting no actor.
 */
export async function loadActors(paths: readonly string[], cwd: string): Promise<LoadedActors[]> {
  if (paths.length === 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'No actor module given: pass --actors path/to/actor.js' });
  const out: LoadedActors[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor module ${given} not found (looked at ${path})` });
    let exported: unknown;
    try {
      exported = await importModule(path);
    } catch (cause) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor module ${given} failed to load: ${(cause as Error).message}`, cause });
    }
    const actors = actorsFromExports(exported, given);
    if (actors.length === 0) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
        message: `${given} exports no actor: export an @Actor() class, an instance of one, or a defineActor() result`,
      });
    }
    out.push({ path, actors });
  }
  return out;
}
