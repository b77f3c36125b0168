/**
 * awsQuery (ELBv2, Auto Scaling, STS): form-encoded like ec2 but lists as `X.member.N` (see form.ts),
 * answered with `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId/>…`.
 * Operations return the member names of the service model (UpperCamel: `{ LoadBalancers: [...] }`);
 * lists become `<member>` children. Errors: `<ErrorResponse><Error><Type/><Code/><Message/>…`.
 */
import { AwsError } from '../kernel';
import { formPairs, nestFormParams } from './form';
import type { ProtocolAdapter } from './types';
import { escapeXml, xmlContent, xmlDeclaration } from './xml';

const xmlHeaders = { 'content-type': 'text/xml' };

function namespaceAttribute(namespace: string | undefined): string {
  return namespace ? ` xmlns="${escapeXml(namespace)}"` : '';
}

export const queryProtocol: ProtocolAdapter = {
  parse(request) {
    const {
      Action,
      Version: _version,
      ...input
    } = nestFormParams(formPairs(request.body, request.query), 'query');
    if (typeof Action !== 'string' || Action === '') {
      throw new AwsError('MissingAction', 'Missing Action');
    }
    return { operation: Action, input };
  },

  unknownOperation(operation) {
    return new AwsError('InvalidAction', `Could not find operation ${operation}`);
  },

  success(operation, result, service, requestId) {
    const body =
      `${xmlDeclaration}<${operation}Response${namespaceAttribute(service.xmlNamespace)}>` +
      `<${operation}Result>${xmlContent(result ?? {}, 'member')}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${operation}Response>`;
    return { status: 200, headers: { ...xmlHeaders }, body };
  },

  failure(error, service, requestId) {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    const body =
      `${xmlDeclaration}<ErrorResponse${namespaceAttribute(service.xmlNamespace)}><Error><Type>${type}</Type>` +
      `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
    return { status: error.status, headers: { ...xmlHeaders }, body };
  },
};
