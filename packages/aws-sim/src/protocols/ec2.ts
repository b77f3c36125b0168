/**
 * EC2 query protocol: form-encoded `Action=…&Version=…` (see form.ts for how list parameters nest),
 * answered with `<ActionResponse xmlns=…><requestId/>…</ActionResponse>`. Operations return
 * lowerCamel element names as EC2 writes them (`{ vpcSet: [{ vpcId, tagSet: [{ key, value }] }] }`);
 * lists become `<item>` children. Errors: `<Response><Errors><Error>…</Errors><RequestID/></Response>`.
 */
import { AwsError } from '../kernel';
import { formPairs, nestFormParams } from './form';
import type { ProtocolAdapter } from './types';
import { escapeXml, xmlContent, xmlDeclaration } from './xml';

const defaultNamespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const xmlHeaders = { 'content-type': 'text/xml;charset=UTF-8' };

export const ec2Protocol: ProtocolAdapter = {
  parse(request) {
    const {
      Action,
      Version: _version,
      ...input
    } = nestFormParams(formPairs(request.body, request.query), 'ec2');
    if (typeof Action !== 'string' || Action === '') {
      throw new AwsError('MissingAction', 'The request must contain the parameter Action');
    }
    return { operation: Action, input };
  },

  unknownOperation(operation) {
    return new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`);
  },

  success(operation, result, service, requestId) {
    const namespace = service.xmlNamespace ?? defaultNamespace;
    const body =
      `${xmlDeclaration}<${operation}Response xmlns="${escapeXml(namespace)}">` +
      `<requestId>${escapeXml(requestId)}</requestId>${xmlContent(result ?? {}, 'item')}</${operation}Response>`;
    return { status: 200, headers: { ...xmlHeaders }, body };
  },

  failure(error, _service, requestId) {
    const body =
      `${xmlDeclaration}<Response><Errors><Error><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message></Error></Errors>` +
      `<RequestID>${escapeXml(requestId)}</RequestID></Response>`;
    return { status: error.status, headers: { ...xmlHeaders }, body };
  },
};
