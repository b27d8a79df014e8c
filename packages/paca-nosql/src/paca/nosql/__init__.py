"""One async, Result-returning NoSQLConnector for MongoDB and Redis.

NoSQLConnector for MongoDB (PyMongo async) and Redis (redis-py asyncio), returning Result.

This package is being built: its public names (NoSQLConnector, create_mongodb_config,
create_redis_config) arrive with the issue that implements them.
"""

__all__: list[str] = []
