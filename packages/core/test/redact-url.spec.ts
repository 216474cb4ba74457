import { inspect } from 'node:util';
import { AmqpTransport, createTransport, NaniteError, parseTransportUrl, redactUrl, removeAmqpTopology } from '../src';

describe('redactUrl', () => {
  it.each([
    ['amqp://guest:secret@host:5672/vh', 'amqp://host:5672/vh'],
    ['amqps://user@host/vh?heartbeat=5', 'amqps://host/vh?heartbeat=5'],
    ['amqp://user:p%40ss@host', 'amqp://host'],
  ])('removes the credentials of %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it.each([
    // Unparsable: a space in the host, a password with an unescaped '/', or no scheme at all.
    ['amqp://guest:secret@ho st:5672', 'amqp://ho st:5672'],
    ['amqp://guest:sec/ret@host', 'amqp://host'],
    // Parses, but as port 5672 and path "/ret@host": the '@' outside the authority gives it away.
    ['amqp://guest:5672/ret@host', 'amqp://host'],
    ['guest:secret@host', 'host'],
  ])('leaves no part of the password in %s, parsable or not', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('leaves text without credentials as given', () => {
    expect(redactUrl('memory://demo')).toBe('memory://demo');
    expect(redactUrl('not a url')).toBe('not a url');
    expect(redactUrl('AMQP://Host:5672')).toBe('AMQP://Host:5672');
  });
});

describe('createTransport with a malformed URL', () => {
  it('names the URL without its credentials, and keeps them out of every property of the error', () => {
    let caught: unknown;
    try {
      createTransport('amqp://guest:hunter2@bad host:5672/vh');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NaniteError);
    expect(caught).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: '"amqp://bad host:5672/vh" is not a valid transport URL' });
    expect(inspect(caught, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(JSON.stringify(caught)).not.toContain('hunter2');
  });
});

describe('every parse of a transport URL keeps the password out of its error', () => {
  // Port 99999 parses in no URL parser: Node's TypeError would carry the whole text in `input`.
  const url = 'amqp://u:s3cret@host:99999/vh';
  const expectRedacted = (caught: unknown): void => {
    expect(caught).toBeInstanceOf(NaniteError);
    expect(caught).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: '"amqp://host:99999/vh" is not a valid transport URL' });
    expect(inspect(caught, { depth: 10, showHidden: true })).not.toContain('s3cret');
    expect(JSON.stringify(caught)).not.toContain('s3cret');
  };
  const thrownBy = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };

  it('parseTransportUrl', () => {
    expectRedacted(thrownBy(() => parseTransportUrl(url)));
    expect(parseTransportUrl('amqp://u:p@h:5672/v').hostname).toBe('h');
  });

  it('createTransport', () => {
    expectRedacted(thrownBy(() => createTransport(url)));
  });

  it('new AmqpTransport({ url })', () => {
    expectRedacted(thrownBy(() => new AmqpTransport({ url })));
  });

  it('removeAmqpTopology()', async () => {
    expectRedacted(await removeAmqpTopology(url, 'nanite-redact-test').then(() => new Error('resolved'), (err: unknown) => err));
  });
});
