/**
 * `npm start`'s port choice without starting the stack (which takes a minute): README promises that
 * `PORT` moves the API, and this is where that promise is kept or broken.
 */
import { requestedPorts } from '../../local/start';

describe('requestedPorts', () => {
  it('serves the API on 3000 and serverless-offline on its usual ports by default', () => {
    expect(requestedPorts({}, {})).toEqual({
      httpPort: 3000,
      lambdaPort: 3002,
      websocketPort: 3001,
      albPort: 3003,
    });
  });

  it('serves the API on PORT when it is set', () => {
    expect(requestedPorts({}, { PORT: '3310' }).httpPort).toBe(3310);
    expect(requestedPorts({}, { PORT: ' 3311 ' }).httpPort).toBe(3311);
    expect(requestedPorts({}, { PORT: '0' }).httpPort).toBe(0);
  });

  it('lets an explicit option win over PORT', () => {
    expect(requestedPorts({ httpPort: 0 }, { PORT: '3310' }).httpPort).toBe(0);
  });

  it('treats an empty PORT as unset', () => {
    expect(requestedPorts({}, { PORT: '' }).httpPort).toBe(3000);
  });

  it.each(['abc', '3310x', '-1', '65536', '3.5'])('rejects PORT=%s with a message naming PORT', (value) => {
    expect(() => requestedPorts({}, { PORT: value })).toThrow(`PORT must be a port number from 0 to 65535`);
  });
});
