// A real OpenID Connect provider for the IOC dashboard's tests (oidc-provider 8.8.1, the last
// major that supports Node.js 20; v9 asks for Node 22). Loopback and plain http only: never
// expose it. tests/oidc_provider.py installs it (`npm ci`) and starts it.
//
// Usage:
//   node tests/oidc/provider.mjs --port P --client-id ID --client-secret S \
//        --redirect-uri URI [--redirect-uri URI2 ...] [--post-logout-redirect-uri URI ...]
//        [--token-auth-method client_secret_basic|client_secret_post] [--accounts JSON]
//   (--name=value works too, and is needed for a value that starts with "-").
//
// - Listens on 127.0.0.1:P with issuer http://127.0.0.1:P and prints `ready http://127.0.0.1:P`
//   on stdout once listening. Stops on SIGTERM/SIGINT.
// - One confidential client: response type `code`, grant `authorization_code`, PKCE S256
//   required (a request without code_challenge is refused), token endpoint auth
//   client_secret_basic by default (what Authlib sends by default).
// - Accounts: the fixed set below; --accounts '{"id": {claims...}, "other": null}' is merged over
//   it (an object adds or replaces an account, null removes one). The account id is the `sub`.
// - Claims: scope `profile` carries name, preferred_username, ioc_role, ioc_districts.
//   conformIdTokenClaims is false, so they are in the ID token itself (and in userinfo), which is
//   where Authlib's authorize_access_token reads them (token['userinfo']). A claim an account
//   lacks (nobody1 has no ioc_role) is simply absent.
// - Login without a human: oidc-provider's own dev interactions. The authorization endpoint
//   redirects to /interaction/<uid>, whose login form (POST login=<account id>, any password)
//   and then consent form (POST prompt=consent) are plain HTML forms; the provider then
//   redirects back to the client's redirect_uri with ?code=...&state=...&iss=...
//   An unknown account id ends the flow like a refused login: the provider redirects back to
//   the redirect_uri with error=access_denied (findAccount throws AccessDenied).
// - Plain http on loopback: nothing special is needed (cookies are only marked Secure on https
//   requests); the long-lived session cookie is SameSite=Lax rather than the default None,
//   because browsers drop SameSite=None cookies that are not Secure.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';

const DEFAULT_ACCOUNTS = {
  leader1: {
    name: 'Lãnh đạo Một',
    preferred_username: 'leader1',
    ioc_role: 'leader',
    ioc_districts: [],
  },
  district1: {
    name: 'Quận Ninh Kiều',
    preferred_username: 'district1',
    ioc_role: 'district',
    ioc_districts: ['ninh-kieu'],
  },
  operator1: {
    name: 'Trực ban Một',
    preferred_username: 'operator1',
    ioc_role: 'operator',
    ioc_districts: [],
  },
  admin1: {
    name: 'Quản trị Một',
    preferred_username: 'admin1',
    ioc_role: 'admin',
    ioc_districts: [],
  },
  nobody1: {
    name: 'Không Vai Trò',
    preferred_username: 'nobody1',
  },
};

function fail(message) {
  process.stderr.write(`provider: ${message}\n`);
  process.exit(2);
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'token-auth-method': { type: 'string', default: 'client_secret_basic' },
      accounts: { type: 'string' },
    },
    strict: true,
  });
  const port = Number.parseInt(values.port ?? '', 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('--port P is required');
  if (!values['client-id'] || !values['client-secret']) {
    fail('--client-id and --client-secret are required');
  }
  if (!values['redirect-uri']?.length) fail('at least one --redirect-uri is required');
  const method = values['token-auth-method'];
  if (!['client_secret_basic', 'client_secret_post'].includes(method)) {
    fail(`--token-auth-method must be client_secret_basic or client_secret_post, not ${method}`);
  }
  const accounts = { ...DEFAULT_ACCOUNTS };
  if (values.accounts) {
    let extra;
    try {
      extra = JSON.parse(values.accounts);
    } catch (error) {
      fail(`--accounts is not JSON: ${error.message}`);
    }
    if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
      fail('--accounts must be a JSON object of account id -> claims (or null)');
    }
    for (const [id, claims] of Object.entries(extra)) {
      if (claims === null) delete accounts[id];
      else accounts[id] = claims;
    }
  }
  return {
    port,
    clientId: values['client-id'],
    clientSecret: values['client-secret'],
    redirectUris: values['redirect-uri'],
    postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
    tokenAuthMethod: method,
    accounts,
  };
}

function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' }] };
}

function configuration(options) {
  const { accounts } = options;
  return {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: options.tokenAuthMethod,
      },
    ],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'ioc_role', 'ioc_districts'],
    },
    // Scope claims go into the ID token too, not only to userinfo.
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) {
        throw new errors.AccessDenied(`unknown account ${JSON.stringify(sub)}`);
      }
      return {
        accountId: sub,
        async claims() {
          return { sub, ...accounts[sub] };
        },
      };
    },
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    jwks: signingKeys(),
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  };
}

async function main() {
  const options = readOptions();
  const issuer = `http://${HOST}:${options.port}`;
  const provider = new Provider(issuer, configuration(options));
  try {
    await provider.Client.find(options.clientId); // static clients are validated on first use
  } catch (error) {
    fail(`the client is invalid: ${error.message} ${error.error_description ?? ''}`);
  }
  for (const event of ['server_error', 'grant.error', 'authorization.error']) {
    provider.on(event, (ctx, error) => {
      process.stderr.write(`provider ${event}: ${error?.message} ${error?.error_description ?? ''}\n`);
    });
  }
  const server = provider.listen(options.port, HOST, () => {
    process.stdout.write(`ready ${issuer}\n`);
  });
  server.on('error', (error) => fail(`cannot listen on ${issuer}: ${error.message}`));
  // Nothing to flush: the store is in memory, so stop at once, open connections or not.
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
