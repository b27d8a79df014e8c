import pytest

from paca.result import Secret
from paca.sql._config import (
    SQLConfig,
    create_mysql_config,
    create_postgres_config,
    create_sqlite_config,
)

CANARY = "canary-pw-7c1d"


def test_postgres_url_is_parsed_and_password_hidden() -> None:
    cfg = SQLConfig.from_url(
        f"postgresql://app:{CANARY}@db.example:6432/main?max_size=20&pgbouncer=true"
    )
    assert (cfg.dialect, cfg.host, cfg.port, cfg.user, cfg.database) == (
        "postgresql",
        "db.example",
        6432,
        "app",
        "main",
    )
    assert cfg.max_size == 20
    assert cfg.pgbouncer is True
    assert isinstance(cfg.password, Secret)
    assert cfg.password.reveal() == CANARY
    assert CANARY not in repr(cfg)
    assert CANARY not in str(cfg)


@pytest.mark.parametrize(
    ("url", "dialect", "database"),
    [
        ("sqlite:///app.db", "sqlite", "app.db"),
        ("sqlite:////srv/abs.db", "sqlite", "/srv/abs.db"),
        ("sqlite:///:memory:", "sqlite", ":memory:"),
        ("mariadb://root@127.0.0.1/test", "mysql", "test"),
        ("mysql+aiomysql://root@h:3307/x", "mysql", "x"),
        ("postgres://u@h/x", "postgresql", "x"),
    ],
)
def test_schemes(url: str, dialect: str, database: str) -> None:
    cfg = SQLConfig.from_url(url)
    assert (cfg.dialect, cfg.database) == (dialect, database)


def test_percent_encoded_password() -> None:
    cfg = SQLConfig.from_url("postgresql://u:p%40ss%2Fw@h/x")
    assert cfg.password is not None
    assert cfg.password.reveal() == "p@ss/w"


def test_bad_urls_fail_fast_without_the_password() -> None:
    with pytest.raises(ValueError, match="unknown dialect") as info:
        SQLConfig.from_url(f"oracle://u:{CANARY}@h/x")
    assert CANARY not in str(info.value)
    with pytest.raises(ValueError, match="unknown option") as info:
        SQLConfig.from_url(f"postgresql://u:{CANARY}@h/x?nope=1")
    assert CANARY not in str(info.value)
    with pytest.raises(ValueError, match="bad value"):
        SQLConfig.from_url("postgresql://u@h/x?max_size=ten")


def test_validation() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        SQLConfig(dialect="oracle", database="x")
    with pytest.raises(ValueError, match="min_size"):
        create_sqlite_config("x.db", min_size=5, max_size=2)
    with pytest.raises(ValueError, match="lifetime_jitter"):
        create_sqlite_config("x.db", lifetime_jitter=2)
    with pytest.raises(ValueError, match="query_timeout"):
        create_sqlite_config("x.db", query_timeout=0)


def test_pool_size_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    assert create_sqlite_config("x.db").max_size == 3
    monkeypatch.setenv("DB_POOL_SIZE", "many")
    with pytest.raises(ValueError, match="DB_POOL_SIZE"):
        create_sqlite_config("x.db")
    monkeypatch.delenv("DB_POOL_SIZE")
    assert create_sqlite_config("x.db").max_size == 10


def test_memory_sqlite_uses_one_connection() -> None:
    cfg = create_sqlite_config(":memory:", max_size=8)
    assert cfg.is_memory
    assert cfg.effective_max_size == 1


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_URL", "mysql://root@127.0.0.1/test")
    assert SQLConfig.from_env().dialect == "mysql"
    monkeypatch.delenv("DB_URL")
    monkeypatch.setenv("APP_DIALECT", "postgres")
    monkeypatch.setenv("APP_NAME", "main")
    monkeypatch.setenv("APP_PORT", "5433")
    monkeypatch.setenv("APP_PASSWORD", CANARY)
    cfg = SQLConfig.from_env("APP_")
    assert (cfg.dialect, cfg.database, cfg.port) == ("postgresql", "main", 5433)
    assert CANARY not in repr(cfg)
    with pytest.raises(ValueError, match="DB_URL"):
        SQLConfig.from_env()


def test_create_helpers_wrap_plain_passwords() -> None:
    pg = create_postgres_config(database="x", password=CANARY)
    my = create_mysql_config(database="x", password=Secret(CANARY), pool_recycle=60)
    assert isinstance(pg.password, Secret)
    assert my.effective_lifetime == 60
    assert CANARY not in repr(pg) + repr(my)
    assert pg.replace(max_size=3).max_size == 3
