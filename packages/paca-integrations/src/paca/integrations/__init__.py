"""PACA integrations: the meta-package.

Import what you use from the two entry points::

    from paca.integrations.apis import ...       # HTTP, GraphQL, webhooks, resilience
    from paca.integrations.databases import ...  # SQL, NoSQL, pools, migrations, monitoring

Each name comes from the distribution that implements it (``paca-http``, ``paca-sql``...);
this package only re-exports them and provides the ``paca`` command. The shared outcome
types are exported here too.
"""

from paca.result import ErrorKind, Result, ResultError, Secret

__all__ = ["ErrorKind", "Result", "ResultError", "Secret"]
