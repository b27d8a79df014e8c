import paca.result


def test_public_api_is_pinned() -> None:
    assert sorted(paca.result.__all__) == sorted(
        ["ErrorKind", "Result", "ResultError", "MASK", "Secret", "redact", "redact_url"]
    )
    for name in paca.result.__all__:
        assert getattr(paca.result, name) is not None


def test_paca_is_a_namespace_package() -> None:
    import paca

    assert getattr(paca, "__file__", None) is None
