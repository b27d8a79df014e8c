import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.result import MASK, Secret, redact, redact_url


def test_secret_never_prints() -> None:
    s = Secret("hunter2")
    assert repr(s) == "Secret('***')"
    assert str(s) == MASK
    assert f"{s}" == MASK
    assert f"{s:>5}" == "  ***"
    assert "hunter2" not in repr([s, {"k": s}])
    assert s.reveal() == "hunter2"


def test_secret_holds_bytes_too() -> None:
    assert Secret(b"k").reveal() == b"k"
    assert Secret(b"k") == Secret(b"k")


@pytest.mark.parametrize("value", [1, None, 1.5])
def test_secret_rejects_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        Secret(value)  # type: ignore[type-var]


def test_secret_rejects_a_secret() -> None:
    with pytest.raises(TypeError, match="got a Secret"):
        Secret(Secret("x"))  # type: ignore[type-var]


def test_equality_hash_len_bool() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert Secret("a") != Secret(b"a")
    assert hash(Secret("a")) == hash(Secret("a"))
    assert len(Secret("abc")) == 3
    assert not Secret("")
    assert Secret("x")


def test_fingerprint_is_short_stable_and_does_not_contain_the_secret() -> None:
    fp = Secret("sk_live_abcdef").fingerprint()
    assert fp == Secret("sk_live_abcdef").fingerprint()
    assert fp != Secret("sk_live_abcdeg").fingerprint()
    assert fp.startswith("sha256:")
    assert len(fp) == 17
    assert "abcdef" not in fp
    assert Secret(b"k").fingerprint() == Secret("k").fingerprint()


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACA_TEST_KEY", "v")
    monkeypatch.delenv("PACA_TEST_MISSING", raising=False)
    key = Secret.from_env("PACA_TEST_KEY")
    assert key is not None
    assert key.reveal() == "v"
    assert Secret.from_env("PACA_TEST_MISSING") is None
    assert Secret.from_env("PACA_TEST_MISSING", "d").reveal() == "d"


def test_redact_masks_every_secret_longest_first() -> None:
    text = "auth failed for key abc123 (prefix abc), token xyz"
    assert redact(text, Secret("abc123"), "abc", None, "", "xyz") == (
        "auth failed for key *** (prefix ***), token ***"
    )
    assert redact("nothing here") == "nothing here"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://app:pw@db:5432/prod", "postgresql://app:***@db:5432/prod"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("redis://token@host", "redis://***@host"),
        ("mysql://root@localhost/test", "mysql://***@localhost/test"),
        (
            "https://api.example.com/x?api_key=k1&page=2",
            "https://api.example.com/x?api_key=***&page=2",
        ),
        ("https://h/p?a=1&Token=t;sig=s#f", "https://h/p?a=1&Token=***;sig=***#f"),
        ("sqlite:///app.db", "sqlite:///app.db"),
        (
            "failed: mongodb://u:p@h1,h2/db and postgres://x:y@z/w",
            "failed: mongodb://u:***@h1,h2/db and postgres://x:***@z/w",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@given(
    st.text(
        alphabet=st.characters(blacklist_characters="/?#@:", blacklist_categories=("Z", "C")),
        min_size=1,
    ),
    st.text(
        alphabet=st.characters(blacklist_characters="/?#@", blacklist_categories=("Z", "C")),
        min_size=4,
    ),
)
def test_redact_url_never_leaks_a_password(user: str, password: str) -> None:
    url = f"postgresql://{user}:{password}@db.example:5432/app"
    masked = redact_url(url)
    assert masked == f"postgresql://{user}:***@db.example:5432/app"
