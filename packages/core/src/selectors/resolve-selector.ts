import { NaniteError } from '../errors';
import { AllSelector } from './all.selector';
import { LeastLoadedSelector } from './least-loaded.selector';
import { PrioritySelector } from './priority.selector';
import { RandomSelector } from './random.selector';
import { RoundRobinSelector } from './round-robin.selector';
import type { AgentView, RequestInfo, Selector, SelectorFunction, SelectorName } from './selector';
import { TargetSelector } from './target.selector';

/** A selector as options accept it: a built-in name, a {@link Selector}, or a function. */
export type SelectorOption = SelectorName | Selector | SelectorFunction;

/** Wraps a selector function into a {@link Selector}. */
export function selectorFromFunction(fn: SelectorFunction): Selector {
  return {
    select(candidates: readonly AgentView[], request: RequestInfo): readonly AgentView[] {
      const picked = fn(candidates, request);
      if (picked === undefined) return [];
      return Array.isArray(picked) ? (picked as readonly AgentView[]) : [picked as AgentView];
    },
  };
}

/**
 * The built-in selectors of one mapper. Each mapper has its own set, so round-robin turns are
 * never shared between mappers or tests.
 */
export class SelectorSet {
  private readonly named: Record<SelectorName, Selector> = {
    least_loaded: new LeastLoadedSelector(),
    random: new RandomSelector(),
    round_robin: new RoundRobinSelector(),
    all: new AllSelector(),
    target: new TargetSelector(),
    priority: new PrioritySelector(),
  };
  private readonly wrapped = new WeakMap<SelectorFunction, Selector>();

  /** Resolves an option into a selector; throws `NANITE_ERR_INVALID_ARGUMENT` for an unknown name. */
  resolve(option: SelectorOption): Selector {
    if (typeof option === 'string') {
      const s = Object.prototype.hasOwnProperty.call(this.named, option) ? this.named[option] : undefined;
      if (!s) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Unknown selector "${option}" (use ${Object.keys(this.named).join(', ')} or a function)` });
      return s;
    }
    if (typeof option === 'function') {
      let s = this.wrapped.get(option);
      if (!s) {
        s = selectorFromFunction(option);
        this.wrapped.set(option, s);
      }
      return s;
    }
    if (option && typeof option.select === 'function') return option;
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'selector must be a name, a function or an object with select()' });
  }
}
