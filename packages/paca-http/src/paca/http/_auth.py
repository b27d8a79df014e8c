"""``AuthManager``: one object the client asks for credentials, whatever the scheme.

Build it with the constructor of a scheme: :meth:`AuthManager.api_key`,
:meth:`~AuthManager.bearer`, :meth:`~AuthManager.basic`,
:meth:`~AuthManager.oauth2_client_credentials`, :meth:`~AuthManager.hmac` /
:meth:`~AuthManager.signing`, :meth:`~AuthManager.key_pool` /
:meth:`~AuthManager.key_pool_from_env`. It implements
:class:`~paca.http._auth_protocol.AuthProvider`: per attempt the client awaits
:meth:`~AuthManager.apply`, then reports the response (:meth:`~AuthManager.on_response`) or a
network error (:meth:`~AuthManager.on_network_error`).

The per-attempt calls live in the base class,
:class:`~paca.http._auth_delegate.AuthDelegate`; this module holds the constructors.

Secrets never print: ``repr`` shows the scheme, where the credential goes and fingerprints;
events and logs carry fingerprints only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from paca.http._auth_delegate import AuthDelegate
from paca.http._auth_schemes import (
    KeyPlacement,
    PooledKeyAuth,
    SchemeBase,
    StaticAuth,
    basic_credentials,
)
from paca.http._key_pool import KeyPool, keys_from_env
from paca.http._oauth2 import OAuth2ClientCredentials
from paca.http._signing import HmacSigner, SigningAuth
from paca.result import Secret

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from paca.http._key_pool import KeyStrategy
    from paca.http._signing import Signer, SigningInput
    from paca.resilience import Clock

__all__ = ["AuthManager"]


def _secret(value: Secret[str] | str) -> Secret[str]:
    return value if isinstance(value, Secret) else Secret(value)


def _placement(header: str | None, query_param: str | None, prefix: str) -> KeyPlacement:
    if header is None and query_param is None:
        header = "X-API-Key"
    return KeyPlacement.of(header, query_param, prefix)


class AuthManager(AuthDelegate):
    """Credentials for one API: decorates requests and learns from responses.

    Example:
        >>> import asyncio
        >>> from paca.http._exchange import OutgoingRequest
        >>> auth = AuthManager.api_key("sk_live_123", header="X-API-Key")
        >>> request = OutgoingRequest("GET", "https://api.test/v1/items")
        >>> ticket = asyncio.run(auth.apply(request, None))  # type: ignore[arg-type]
        >>> request.headers["X-API-Key"], ticket.scheme
        ('sk_live_123', 'api_key')
        >>> "sk_live_123" in repr(auth)
        False
    """

    __slots__ = ()

    def __init__(self, scheme: SchemeBase) -> None:
        """Wrap a scheme; use the class-method constructors instead."""
        if not isinstance(scheme, SchemeBase):
            msg = f"use an AuthManager constructor (api_key, bearer...), not {type(scheme)!r}"
            raise TypeError(msg)
        self._scheme = scheme

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def api_key(
        cls,
        key: Secret[str] | str,
        *,
        header: str | None = None,
        query_param: str | None = None,
        prefix: str = "",
    ) -> AuthManager:
        """An API key in a header (default ``X-API-Key``) or in a query parameter.

        Args:
            key: The key.
            header: The header name (give this or ``query_param``).
            query_param: The query parameter name.
            prefix: Text before the key in the header (e.g. ``"Token "``).

        Returns:
            The manager.
        """
        return cls(StaticAuth("api_key", _secret(key), _placement(header, query_param, prefix)))

    @classmethod
    def bearer(cls, token: Secret[str] | str) -> AuthManager:
        """A fixed bearer token: ``Authorization: Bearer <token>``.

        Returns:
            The manager.
        """
        placement = KeyPlacement("Authorization", None, "Bearer ")
        return cls(StaticAuth("bearer", _secret(token), placement))

    @classmethod
    def basic(cls, username: str, password: Secret[str] | str) -> AuthManager:
        """HTTP Basic (RFC 7617, UTF-8): ``Authorization: Basic base64(user:password)``.

        Raises:
            ValueError: When ``username`` contains ``:``.

        Returns:
            The manager.
        """
        placement = KeyPlacement("Authorization", None, "")
        return cls(StaticAuth("basic", basic_credentials(username, password), placement))

    @classmethod
    def oauth2_client_credentials(
        cls,
        token_url: str,
        client_id: str,
        client_secret: Secret[str] | str,
        *,
        scope: str | None = None,
        audience: str | None = None,
        auth_method: Literal["basic", "body"] = "basic",
        skew: float = 30.0,
        default_expires_in: float | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> AuthManager:
        """OAuth2 client credentials: a bearer token fetched on demand and refreshed early.

        Args:
            token_url: The token endpoint.
            client_id: The client identifier.
            client_secret: The client secret.
            scope: The ``scope`` form field, if any.
            audience: The ``audience`` form field (Auth0 and others), if any.
            auth_method: ``"basic"`` (HTTP Basic, RFC 6749 section 2.3.1) or ``"body"``
                (``client_id``/``client_secret`` form fields).
            skew: Seconds before expiry at which the token is refreshed (at most half its
                lifetime).
            default_expires_in: Lifetime of a token the server sends without ``expires_in``
                (``None``: used until a 401).
            timeout: Total seconds for one token request.
            clock: The clock expiry is measured on (default: monotonic time).

        Returns:
            The manager.
        """
        return cls(
            OAuth2ClientCredentials(
                token_url,
                client_id,
                client_secret,
                scope=scope,
                audience=audience,
                auth_method=auth_method,
                skew=skew,
                default_expires_in=default_expires_in,
                timeout=timeout,
                clock=clock,
            )
        )

    @classmethod
    def hmac(
        cls,
        secret: Secret[str] | Secret[bytes] | str | bytes,
        *,
        key_id: str | None = None,
        signature_header: str = "X-Signature",
        timestamp_header: str | None = "X-Timestamp",
        key_id_header: str = "X-Key-Id",
        signed_headers: Sequence[str] = (),
        encoding: Literal["hex", "base64"] = "hex",
        signature_prefix: str = "",
        canonical: Callable[[SigningInput], str | bytes] | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> AuthManager:
        """HMAC-SHA256 request signing with :class:`~paca.http.HmacSigner`.

        ``wall_clock`` returns the Unix seconds put in the signature (default
        ``time.time``); the other arguments are those of ``HmacSigner``.

        Returns:
            The manager.
        """
        signer = HmacSigner(
            secret,
            key_id=key_id,
            signature_header=signature_header,
            timestamp_header=timestamp_header,
            key_id_header=key_id_header,
            signed_headers=signed_headers,
            encoding=encoding,
            signature_prefix=signature_prefix,
            canonical=canonical,
        )
        return cls(SigningAuth(signer, wall_clock=wall_clock))

    @classmethod
    def signing(
        cls,
        signer: Signer,
        *,
        fingerprint: str | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> AuthManager:
        """Sign every request with your own :class:`~paca.http.Signer`.

        Args:
            signer: Returns the headers to add for a :class:`~paca.http.SigningInput`.
            fingerprint: A label of the signer's key for tickets and logs.
            wall_clock: Returns the Unix seconds given to the signer (default ``time.time``).

        Returns:
            The manager.
        """
        return cls(SigningAuth(signer, fingerprint=fingerprint, wall_clock=wall_clock))

    @classmethod
    def key_pool(
        cls,
        keys: KeyPool | Iterable[Secret[str] | str],
        *,
        strategy: KeyStrategy = "round_robin",
        weights: Sequence[float] | None = None,
        header: str | None = None,
        query_param: str | None = None,
        prefix: str = "",
        default_cooldown: float = 60.0,
        max_cooldown: float = 3600.0,
        quarantine_for: float | None = None,
        quota_headers: Sequence[str] = ("X-Quota-Remaining",),
        clock: Clock | None = None,
        wall_clock: Callable[[], float] | None = None,
        name: str = "default",
    ) -> AuthManager:
        """Several API keys, handed out by a strategy, rested when the server says so.

        429 and 402 (and quota headers saying nothing is left) cool the key down for the
        ``Retry-After`` time, else the rate-limit reset, else ``default_cooldown``; 401
        quarantines it. A failed call whose key was rested gets ``AuthVerdict.RETRY``. When
        every key rests, :meth:`apply` raises ``CredentialsUnavailable`` with
        ``retry_after`` set to the time until the first key comes back. A plain 403 changes
        nothing; after a network error the key stays in rotation and the next call (the
        client's retry) gets the same key again.

        Args:
            keys: A :class:`~paca.http.KeyPool`, or the keys to build one from.
            strategy: ``"round_robin"``, ``"least_used"`` or ``"weighted"`` (when building).
            weights: One positive weight per key (when building).
            header: Header name for the key (default ``X-API-Key``).
            query_param: Query parameter name, instead of a header.
            prefix: Text before the key in the header (``"Bearer "`` for bearer tokens).
            default_cooldown: Seconds a key rests when the response gives no time.
            max_cooldown: The longest cooldown, whatever the server says.
            quarantine_for: Seconds a 401 keeps a key out; ``None``: until
                ``KeyPool.restore``.
            quota_headers: More headers whose value ``0`` means the key's quota is spent.
            clock: The pool's clock (when building; default: monotonic time).
            wall_clock: Unix seconds, to turn an HTTP-date into a delay when a response has
                no ``Date`` header (default: the system clock).
            name: The pool's label in events and logs (when building).

        Returns:
            The manager.
        """
        pool = (
            keys
            if isinstance(keys, KeyPool)
            else KeyPool(keys, strategy=strategy, weights=weights, clock=clock, name=name)
        )
        scheme = "bearer" if prefix.strip().lower() == "bearer" else "api_key"
        return cls(
            PooledKeyAuth(
                pool,
                _placement(header, query_param, prefix),
                scheme=scheme,
                default_cooldown=default_cooldown,
                max_cooldown=max_cooldown,
                quarantine_for=quarantine_for,
                quota_headers=tuple(quota_headers),
                wall_clock=wall_clock,
            )
        )

    @classmethod
    def key_pool_from_env(
        cls,
        *names: str,
        separator: str = ",",
        environ: Mapping[str, str] | None = None,
        strategy: KeyStrategy = "round_robin",
        weights: Sequence[float] | None = None,
        header: str | None = None,
        query_param: str | None = None,
        prefix: str = "",
        default_cooldown: float = 60.0,
        max_cooldown: float = 3600.0,
        quarantine_for: float | None = None,
        quota_headers: Sequence[str] = ("X-Quota-Remaining",),
        clock: Clock | None = None,
        wall_clock: Callable[[], float] | None = None,
        name: str | None = None,
    ) -> AuthManager:
        """A key pool read from environment variables.

        Each variable holds one key or several separated by ``separator``
        (``MY_API_KEYS=k1,k2,k3``); blanks around keys and empty items are dropped. The other
        arguments are those of :meth:`key_pool`; the pool's name defaults to the first
        variable's name.

        Args:
            *names: The variable names, at least one.
            separator: What separates keys in one variable.
            environ: Where to read (default ``os.environ``).
            strategy: See :meth:`key_pool`.
            weights: See :meth:`key_pool` (one per key found, in order).
            header: See :meth:`key_pool`.
            query_param: See :meth:`key_pool`.
            prefix: See :meth:`key_pool`.
            default_cooldown: See :meth:`key_pool`.
            max_cooldown: See :meth:`key_pool`.
            quarantine_for: See :meth:`key_pool`.
            quota_headers: See :meth:`key_pool`.
            clock: See :meth:`key_pool`.
            wall_clock: See :meth:`key_pool`.
            name: See :meth:`key_pool`.

        Raises:
            ValueError: No name given, a variable is unset, or no key was found (the message
                names variables, never values).

        Returns:
            The manager.
        """
        keys = keys_from_env(*names, separator=separator, environ=environ)
        return cls.key_pool(
            keys,
            strategy=strategy,
            weights=weights,
            header=header,
            query_param=query_param,
            prefix=prefix,
            default_cooldown=default_cooldown,
            max_cooldown=max_cooldown,
            quarantine_for=quarantine_for,
            quota_headers=quota_headers,
            clock=clock,
            wall_clock=wall_clock,
            name=names[0] if name is None else name,
        )
