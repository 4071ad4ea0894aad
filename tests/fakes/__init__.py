"""Fakes for `verify`: an identity provider and a FHIR server on 127.0.0.1 over HTTPS.

They are real HTTP servers with a throwaway CA (trustme), so the real MSAL, requests and PyJWT
code runs against them: OIDC discovery, a token endpoint issuing RS256 JWTs signed by a
generated key, its JWKS, the device-code flow, a GitHub Actions OIDC endpoint, a Key Vault
secret, and a FHIR server that validates bearer tokens and authorizes by the `roles` claim.
"""
