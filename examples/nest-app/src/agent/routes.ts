/**
 * Every route the agent app serves, with payload and result types inferred from the actors' own
 * methods: callers (the API app) import this type only, no code generation.
 */
import type { RoutesOf } from '@nanite/core';
import type { CalcActor, InventoryActor } from './inventory.actor';

export type Routes = RoutesOf<[typeof CalcActor, typeof InventoryActor]>;
