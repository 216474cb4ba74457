/** nestErrorToNanite: HttpException, RpcException and other errors become structured NaniteErrors. */
import { NaniteError } from '@nanite/core';
import { BadRequestException, ForbiddenException, HttpException, NotFoundException, UnauthorizedException, UnprocessableEntityException } from '@nestjs/common';
import { nestErrorToNanite } from '../src';

/** Same shape as @nestjs/microservices' RpcException (not a dependency of this package). */
class RpcException extends Error {
  override readonly name = 'RpcException';
  constructor(private readonly error: string | object) {
    super(typeof error === 'string' ? error : 'Rpc Exception');
  }
  getError(): string | object {
    return this.error;
  }
}

describe('nestErrorToNanite', () => {
  it('passes NaniteErrors through', () => {
    const err = new NaniteError('NANITE_ERR_TIMEOUT');
    expect(nestErrorToNanite(err)).toBe(err);
  });

  it('maps 400 and 422 to NANITE_ERR_VALIDATION with the messages', () => {
    expect(nestErrorToNanite(new BadRequestException(['a is bad', 'b is bad']))).toMatchObject({
      code: 'NANITE_ERR_VALIDATION',
      data: { status: 400, messages: ['a is bad', 'b is bad'] },
    });
    expect(nestErrorToNanite(new UnprocessableEntityException('nope'))).toMatchObject({ code: 'NANITE_ERR_VALIDATION', data: { status: 422, messages: ['nope'] } });
  });

  it('maps 401 and 403 to NANITE_ERR_FORBIDDEN', () => {
    expect(nestErrorToNanite(new ForbiddenException())).toMatchObject({ code: 'NANITE_ERR_FORBIDDEN', data: { status: 403 } });
    expect(nestErrorToNanite(new UnauthorizedException('who?'))).toMatchObject({ code: 'NANITE_ERR_FORBIDDEN', message: 'who?' });
  });

  it('maps other HttpExceptions to NANITE_ERR_HANDLER with status and response', () => {
    expect(nestErrorToNanite(new NotFoundException('no such user'))).toMatchObject({
      code: 'NANITE_ERR_HANDLER',
      message: 'no such user',
      data: { name: 'NotFoundException', status: 404, response: { statusCode: 404, message: 'no such user' } },
    });
    expect(nestErrorToNanite(new HttpException('teapot', 418))).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { status: 418, messages: ['teapot'] } });
  });

  it('maps RpcException: a Nanite code it names is kept, anything else is a handler error', () => {
    expect(nestErrorToNanite(new RpcException({ code: 'NANITE_ERR_FORBIDDEN', message: 'no entry', data: { who: 'x' } }))).toMatchObject({
      code: 'NANITE_ERR_FORBIDDEN',
      message: 'no entry',
      data: { who: 'x' },
    });
    expect(nestErrorToNanite(new RpcException('plain'))).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'plain', data: { name: 'RpcException', error: 'plain' } });
    expect(nestErrorToNanite(new RpcException({ code: 'E_OTHER' }))).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { error: { code: 'E_OTHER' } } });
  });

  it('wraps anything else like core does', () => {
    expect(nestErrorToNanite('a string')).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'a string' });
    expect(nestErrorToNanite(new TypeError('x is not a function'))).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { name: 'TypeError' } });
  });

  it('the wire form carries code, message, retryable and data only', () => {
    const wire = nestErrorToNanite(new BadRequestException(['m'])).toJSON();
    expect(Object.keys(wire).sort()).toEqual(['code', 'data', 'message', 'retryable']);
  });
});
