"""The exception tree: one root, builtin bases where callers expect them, documented."""

from __future__ import annotations

import inspect

import pytest

import vnsign
from vnsign import errors


def public_exceptions() -> list[type[BaseException]]:
    return [getattr(errors, name) for name in errors.__all__]


def test_every_public_exception_derives_from_the_root() -> None:
    for exc in public_exceptions():
        assert issubclass(exc, errors.VnsignError), exc


def test_all_lists_every_exception_class_in_the_module() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }
    assert defined == set(errors.__all__)


def test_the_module_docstring_draws_every_exception() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        assert name in doc, f"{name} is missing from the tree in the errors docstring"


@pytest.mark.parametrize(
    ("exc", "builtin"),
    [
        (errors.InputError, ValueError),
        (errors.MalformedInputError, ValueError),
        (errors.HostileInputError, ValueError),
        (errors.UnsupportedFormatError, ValueError),
        (errors.PolicyError, ValueError),
        (errors.NetworkTimeoutError, TimeoutError),
    ],
)
def test_errors_also_subclass_the_matching_builtin(exc: type[Exception], builtin: type) -> None:
    assert issubclass(exc, builtin)
    with pytest.raises(builtin):
        raise exc("x")


def test_credential_and_remote_errors_are_not_value_errors() -> None:
    # "except ValueError" around parsing must not swallow a locked token or a rejection.
    assert not issubclass(errors.CredentialLockedError, ValueError)
    assert not issubclass(errors.RemoteRejectedError, ValueError)


def test_root_is_exported_at_top_level() -> None:
    assert vnsign.VnsignError is errors.VnsignError


def test_translated_errors_keep_their_cause() -> None:
    from vnsign.pki.certificates import load_certificate

    with pytest.raises(errors.MalformedInputError) as info:
        load_certificate(b"not a certificate")
    assert isinstance(info.value.__cause__, ValueError)
