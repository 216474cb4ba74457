// The actor of the original Nanite walk-through, in plain JavaScript (CommonJS):
// `/simple/echo` returns its payload, or "hello nanite" without one. Type-checked JavaScript
// (`npm run typecheck`): caller.js calls it through a typed view.
//
//   npx nanite agent --actors examples/simple-agent/simple.js --token fred
// @ts-check
'use strict';
const { Actor, Expose } = require('@nanite/core');

class Simple {
  // Read by @Actor() for the route prefix, and by the type system for the route names (caller.js).
  static prefix = /** @type {const} */ ('simple');

  /**
   * JSDoc types are what a typed caller sees (the CLI may still send any JSON).
   * @param {string} [payload]
   * @returns {string}
   */
  echo(payload) {
    return payload ?? 'hello nanite';
  }
}

// Plain JavaScript has no decorator syntax: apply @Expose() and @Actor() as functions.
// Idempotent: a mapper may re-send an echo to another agent if this one dies mid-request.
Expose({ idempotent: true })(Simple.prototype, 'echo', /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(Simple.prototype, 'echo')));
Actor()(Simple); // prefix: the static `prefix` (else the class name in snake_case), so the route is /simple/echo

module.exports = { Simple };
