"""Entry point for API integrations: HTTP/REST, GraphQL, webhooks and resilience.

Re-exports the public names of ``paca-http``, ``paca-graphql``, ``paca-webhooks`` and
``paca-resilience``. A name appears here once the package that implements it ships it.
"""

__all__: list[str] = []
