"""GraphQL client on gql with the paca-http resilience stack.

GraphQLClient on gql with retries, breakers, rate limits, per-request auth and resilient
subscriptions.

This package is being built: its public names (GraphQLClient) arrive with the issue that
implements them.
"""

__all__: list[str] = []
