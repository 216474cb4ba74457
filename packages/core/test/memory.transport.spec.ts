import { MemoryBusRegistry, MemoryTransport } from '../src';
import { describeTransportContract } from './transport-contract';

let n = 0;
describeTransportContract('memory://', () => {
  const registry = new MemoryBusRegistry();
  const name = `contract-${++n}`;
  return { transport: () => new MemoryTransport({ name, registry }) };
});

describeTransportContract('memory:// with copy=clone', () => {
  const registry = new MemoryBusRegistry();
  const name = `contract-clone-${++n}`;
  return { transport: () => new MemoryTransport({ name, registry, copy: 'clone' }) };
});
