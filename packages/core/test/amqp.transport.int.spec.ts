import { AmqpTransport } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { describeTransportContract } from './transport-contract';

const prefixes: string[] = [];
const CONTRACT_ROUTES = ['/contract/echo', '/contract/steps', '/contract/fail', '/contract/wait'];

afterAll(() => removeTopology(prefixes, CONTRACT_ROUTES));

describeTransportContract(
  'amqp://',
  () => {
    const prefix = uniquePrefix('contract');
    prefixes.push(prefix);
    return { transport: () => new AmqpTransport({ url: AMQP_URL, prefix }) };
  },
  { patience: 5_000 },
);
