"""`verify`: after `pulumi up`, prove that each client really gets in.

One module per job, so each can be read (and tested) alone:

- `outputs`: the deployed stack's outputs (a saved `pulumi stack output --json --show-secrets`
  file, or the Automation API), read as untrusted input into `model` objects.
- `http`: the one requests Session (MSAL's too), with timeouts and bounded answers.
- `credentials` and `keyvault`: where a service client's credential comes from (the outputs,
  Key Vault, a private key the operator points to, a GitHub Actions OIDC token).
- `tokens`: MSAL: client credentials, the device-code flow, the authorize URL with PKCE.
- `jwtcheck`: the token validated with PyJWT against the tenant's published keys.
- `fhir`: the calls to the FHIR server (`/metadata`, a read, a harmless `$validate`).
- `retry`: bounded backoff for replication delays, honouring Retry-After; an injectable clock.
- `expect`: what a client's configured roles should let it do on the FHIR server.
- `service`, `delegated`: the checks of each client kind, sharing a `context`; `runner` ties them
  to a stack.
- `report`: the result, as text for people or JSON for CI.

Nothing here prints or logs a secret or a token: secrets travel as `model.Secret`, whose text
is `***`, and every foreign string shown goes through `safeio.text.shown`.
"""
