/** Actors and friends shared by the specs. */
import type { RequestContext } from '@nanite/core';
import {
  Catch, Controller, Injectable, UseFilters, UseGuards, UseInterceptors, UsePipes, ValidationPipe,
  type CallHandler, type CanActivate, type ExceptionFilter, type ExecutionContext, type NestInterceptor,
} from '@nestjs/common';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { map, type Observable } from 'rxjs';
import { Actor, Ctx, Expose, MapperService, naniteArguments, Payload } from '../src';

/** A plain provider actors depend on (DI inside actors). */
@Injectable()
export class MathService {
  calls = 0;
  add(a: number, b: number): number {
    this.calls++;
    return a + b;
  }
}

@Injectable()
@Actor('calc')
export class CalcActor {
  constructor(private readonly math: MathService) {}

  @Expose({ idempotent: true })
  add(@Payload() [a, b]: [number, number]): number {
    return this.math.add(a, b);
  }

  /** No parameter decorators: receives (payload, context) like a core handler. */
  @Expose({ name: 'whoami' })
  who(payload: unknown, context: RequestContext): { payload: unknown; route: string; hops: number } {
    return { payload, route: context.route, hops: context.hops };
  }

  @Expose()
  async progress(@Payload('steps') steps: number, @Ctx() ctx: RequestContext): Promise<string> {
    for (let i = 1; i <= steps; i++) ctx.progress('step', i);
    return 'done';
  }

  /** Not exposed: must not become a route. */
  helper(): string {
    return 'not a route';
  }
}

/** No prefix: the route prefix is the class name in snake_case. */
@Injectable()
@Actor()
export class GreetingService {
  @Expose()
  hello(@Payload('name') name: string): string {
    return `hello ${name}`;
  }
}

export class CreateUserDto {
  @IsString()
  @Length(2, 20)
  name!: string;

  @IsInt()
  @Min(0)
  age!: number;
}

/** Lets a call through when its payload says `allowed: true`, or when it comes from another actor. */
@Injectable()
export class PayloadGuard implements CanActivate {
  seen: Array<{ type: string; route: string; payload: unknown }> = [];
  canActivate(context: ExecutionContext): boolean {
    const { payload, context: call } = naniteArguments(context);
    this.seen.push({ type: context.getType(), route: call.route, payload });
    return (payload as { allowed?: boolean } | null)?.allowed === true;
  }
}

/** Wraps results: proves interceptors run around actor methods. */
@Injectable()
export class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value: unknown) => ({ wrapped: value })));
  }
}

export class TeapotError extends Error {
  override readonly name = 'TeapotError';
}

/** Answers TeapotError with a value instead of an error. */
@Catch(TeapotError)
export class TeapotFilter implements ExceptionFilter {
  catch(): unknown {
    return { recoveredBy: 'TeapotFilter' };
  }
}

@Injectable()
@Actor('users')
export class UsersActor {
  @Expose()
  @UsePipes(new ValidationPipe({ transform: true }))
  create(@Payload() dto: CreateUserDto): { created: string; isDto: boolean } {
    return { created: dto.name, isDto: dto instanceof CreateUserDto };
  }

  @Expose()
  @UseGuards(PayloadGuard)
  secret(@Payload() payload: { allowed: boolean }): string {
    return `secret for ${String(payload.allowed)}`;
  }

  @Expose()
  @UseInterceptors(WrapInterceptor)
  wrapped(@Payload() payload: number): number {
    return payload * 2;
  }

  @Expose()
  @UseFilters(TeapotFilter)
  teapot(): never {
    throw new TeapotError('short and stout');
  }
}

/** A controller marked as an actor: served only with `controllers: true`. */
@Controller()
@Actor('ctl')
export class ActorController {
  @Expose()
  ping(): string {
    return 'pong';
  }
}

/** An actor that calls another through MapperService (nested call). */
@Injectable()
@Actor('front')
export class FrontActor {
  constructor(private readonly nanite: MapperService) {}

  @Expose()
  async viaCalc(@Payload() pair: [number, number]): Promise<{ sum: number; inner: { hops: number } }> {
    const sum = await this.nanite.request<number>('/calc/add', pair);
    const inner = await this.nanite.request<{ hops: number }>('/calc/whoami', null);
    return { sum, inner };
  }
}
