"""EncryptedTextField: plaintext in Python, only ciphertext in the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test.utils import isolate_apps

from portal.pii.crypto import decrypt
from portal.pii.fields import EncryptedTextField


@pytest.fixture
def person_model(db: None) -> Iterator[type[models.Model]]:
    """A throwaway model with an encrypted column, created inside the test transaction."""
    with isolate_apps("compliance"):

        class Person(models.Model):
            phone = EncryptedTextField(null=True)
            phone_hash = models.CharField(max_length=64, blank=True)

            class Meta:
                app_label = "compliance"
                db_table = "compliance_test_person"

        with connection.schema_editor() as editor:
            editor.create_model(Person)
        yield Person


def _raw_column(pk: int) -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM compliance_test_person WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_an_encrypted_field_round_trips_and_the_plaintext_never_reaches_the_table(
    person_model: Any,
) -> None:
    person = person_model.objects.create(phone="+86 138 1234 5678")

    stored = _raw_column(person.pk)
    assert "1234" not in stored
    assert "138" not in stored
    assert decrypt(stored) == "+86 138 1234 5678"
    assert person_model.objects.get(pk=person.pk).phone == "+86 138 1234 5678"
    assert list(person_model.objects.values_list("phone", flat=True)) == ["+86 138 1234 5678"]


def test_saving_again_writes_a_fresh_token(person_model: Any) -> None:
    person = person_model.objects.create(phone="张三")
    first = _raw_column(person.pk)

    person.save()

    assert _raw_column(person.pk) != first
    assert person_model.objects.get(pk=person.pk).phone == "张三"


def test_null_stays_null_and_isnull_lookups_work(person_model: Any) -> None:
    empty = person_model.objects.create(phone=None)
    full = person_model.objects.create(phone="13812345678")

    assert _raw_column(empty.pk) is None
    assert list(person_model.objects.filter(phone__isnull=True)) == [empty]
    assert list(person_model.objects.filter(phone=None)) == [empty]
    assert list(person_model.objects.filter(phone__isnull=False)) == [full]


@pytest.mark.parametrize("lookup", ["phone", "phone__exact", "phone__icontains", "phone__in"])
def test_a_lookup_on_an_encrypted_field_is_refused_with_a_clear_error(
    person_model: Any, lookup: str
) -> None:
    value: Any = ["13812345678"] if lookup.endswith("__in") else "13812345678"
    with pytest.raises(FieldError, match="keyed hash") as caught:
        person_model.objects.filter(**{lookup: value})
    assert "13812345678" not in str(caught.value)


def test_the_field_deconstructs_for_migrations() -> None:
    field = EncryptedTextField(null=True, blank=True)
    _name, path, args, kwargs = field.deconstruct()
    assert path == "portal.pii.fields.EncryptedTextField"
    assert kwargs == {"null": True, "blank": True}
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert rebuilt.null
    assert rebuilt.blank
