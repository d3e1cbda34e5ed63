// A certified OpenID Provider (panva's oidc-provider, pinned in package-lock.json)
// for Latch's interop tests: `node tests/interop/server.js PORT` serves the issuer
// http://127.0.0.1:PORT and prints "listening" once it takes connections.
//
// The clients cover the client authentication methods Latch has (private_key_jwt
// clients are registered by the tests, with the keys Latch makes); refresh tokens
// rotate; revocation, introspection, client credentials and the device flow are on; every
// authorization response carries `iss` (RFC 9207, always on in this version).
// Lifetimes are short so that nothing a test leaves behind lives long.
//
// The person's part (sign-in and consent) goes through the server's own
// interaction pages (devInteractions: any login, a Continue button): the tests
// submit those forms as a browser would. Nothing of the server is patched.
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node server.js PORT');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const API_RESOURCE = 'https://api.latch.test/';
// A test of expiry asks for device codes that live only seconds.
const deviceCodeTtl = Number(process.env.LATCH_INTEROP_DEVICE_CODE_TTL || 600);

// Loopback redirects match on any port for native clients (RFC 8252 §7.3).
const redirectUris = ['http://127.0.0.1/callback'];
const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'];

const configuration = {
  clients: [
    {
      client_id: 'latch-basic',
      client_secret: 'latch-basic-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'native',
      redirect_uris: redirectUris,
      grant_types: grantTypes,
      response_types: ['code'],
    },
    {
      client_id: 'latch-post',
      client_secret: 'latch-post-secret',
      token_endpoint_auth_method: 'client_secret_post',
      application_type: 'native',
      redirect_uris: redirectUris,
      grant_types: grantTypes,
      response_types: ['code'],
    },
    {
      // The device authorization grant (RFC 8628), for a client on a machine
      // without a browser: the person approves at /device.
      client_id: 'latch-device',
      client_secret: 'latch-device-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      redirect_uris: [],
      response_types: [],
    },
    {
      // client_secret_jwt (RFC 7523): the secret signs (HS256), never travels.
      client_id: 'latch-secret-jwt',
      client_secret: 'latch-secret-jwt-secret-long-enough-for-hs256',
      token_endpoint_auth_method: 'client_secret_jwt',
      grant_types: grantTypes,
      application_type: 'native',
      redirect_uris: redirectUris,
      response_types: ['code'],
    },
    {
      client_id: 'latch-public',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    deviceFlow: { enabled: true },
    // Dynamic client registration (RFC 7591), open: how a test registers a
    // private_key_jwt client with the public key Latch made, as a person
    // would hand it to the server's administrator.
    registration: { enabled: true },
    // RFC 8707: one API the tokens can be for; a token asked for it is a JWT
    // whose audience is that API, so a test can see the resource arrived.
    // Any other resource is refused (invalid_target).
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource === API_RESOURCE) {
          return { scope: 'api:read', audience: API_RESOURCE, accessTokenTTL: 120, accessTokenFormat: 'jwt' };
        }
        throw new errors.InvalidTarget();
      },
    },
  },
  pkce: { required: () => true },
  // Every client that may refresh gets a refresh token, and each refresh
  // replaces it: the old one is then refused (and its reuse revokes the grant).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 120,
    AuthorizationCode: 60,
    ClientCredentials: 120,
    DeviceCode: deviceCodeTtl,
    IdToken: 120,
    Interaction: 120,
    Grant: 600,
    RefreshToken: 600,
    Session: 600,
  },
  // Fixed cookie keys: the server is a test fixture, never deployed.
  cookies: { keys: ['latch-interop-cookie-key'] },
};

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${issuer}`);
});
