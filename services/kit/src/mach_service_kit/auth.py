"""Bearer tokens checked against Keycloak: signature by a key from the realm's JWKS (fetched
once and cached; a token signed by an unknown key id refreshes it), issuer, expiry and, when
configured, audience. Writes need the service's `write_role` among the token's realm roles or
its client roles for the audience."""

from typing import Annotated, Any

import jwt
from anyio import to_thread
from fastapi import Depends, Request

from mach_service_kit.problems import ProblemError

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


class TokenVerifier:
    def __init__(self, jwks_url: str, issuer: str, audience: str | None) -> None:
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "iss"], "verify_aud": self.audience is not None},
                leeway=30,
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise ProblemError(503, "the identity provider's keys cannot be fetched") from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"the bearer token is not valid: {exc}") from exc
        return claims


def roles(claims: dict[str, Any], audience: str | None) -> set[str]:
    found = set((claims.get("realm_access") or {}).get("roles") or [])
    if audience:
        found |= set(((claims.get("resource_access") or {}).get(audience) or {}).get("roles") or [])
    return found


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    return token.strip()


async def _verified(request: Request, verifier: TokenVerifier) -> dict[str, Any]:
    token = _bearer(request)
    if token is None:
        raise _unauthorized("this operation needs a bearer token")
    claims: dict[str, Any] = await to_thread.run_sync(verifier.verify, token)
    return claims


async def caller(request: Request) -> dict[str, Any]:
    """The verified claims of whoever calls (any valid token): for operations on the caller's
    own data, identified by the token's `sub`."""
    verifier: TokenVerifier | None = request.app.state.verifier
    if verifier is None:
        raise _unauthorized("this operation needs an identity provider (jwt_jwks_url)")
    claims = await _verified(request, verifier)
    if not claims.get("sub"):
        raise _unauthorized("the token names no subject")
    return claims


async def maybe_caller(request: Request) -> dict[str, Any] | None:
    """The verified claims of whoever calls, or None for a call without a token (operations
    open to anonymous callers that give a caller with a token more). A token that is sent
    must be valid."""
    if request.headers.get("authorization") is None:
        return None
    return await caller(request)


async def writer(request: Request) -> dict[str, Any]:
    """The verified claims of a caller allowed to write. With no verifier configured (dev and
    test only: settings require a JWKS elsewhere) writes are open."""
    verifier: TokenVerifier | None = request.app.state.verifier
    settings = request.app.state.settings
    if verifier is None:
        return {}
    claims = await _verified(request, verifier)
    if settings.write_role and settings.write_role not in roles(claims, settings.jwt_audience):
        raise ProblemError(403, f"the token lacks the role {settings.write_role!r}")
    return claims


WriterDep = Annotated[dict[str, Any], Depends(writer)]
CallerDep = Annotated[dict[str, Any], Depends(caller)]
MaybeCallerDep = Annotated[dict[str, Any] | None, Depends(maybe_caller)]
