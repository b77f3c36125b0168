/** One adapter per wire protocol of kernel.ts's `Protocol`. */
import type { Protocol } from '../kernel';
import { ec2Protocol } from './ec2';
import { jsonProtocol } from './json';
import { queryProtocol } from './query';
import { restJsonProtocol, restXmlProtocol } from './rest';
import type { ProtocolAdapter } from './types';

export const protocols: Record<Protocol, ProtocolAdapter> = {
  ec2: ec2Protocol,
  query: queryProtocol,
  json: jsonProtocol,
  'rest-json': restJsonProtocol,
  'rest-xml': restXmlProtocol,
};

export type { ParsedCall, ProtocolAdapter, SimRequest, SimResponse } from './types';
