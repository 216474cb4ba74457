// The actor of the original Nanite walk-through, in plain JavaScript (CommonJS):
// `/simple/echo` returns its payload, or "hello nanite" without one.
//
//   npx nanite agent --actors examples/simple-agent/simple.js --token fred
'use strict';
const { Actor, Expose } = require('@nanite/core');

class Simple {
  echo(payload) {
    return payload ?? 'hello nanite';
  }
}

// Plain JavaScript has no decorator syntax: apply @Expose() and @Actor() as functions.
// Idempotent: a mapper may re-send an echo to another agent if this one dies mid-request.
Expose({ idempotent: true })(Simple.prototype, 'echo', Object.getOwnPropertyDescriptor(Simple.prototype, 'echo'));
Actor()(Simple); // prefix: the class name in snake_case, so the route is /simple/echo

module.exports = { Simple };
