import logging

from psa.models import PSAConnection


def test_private_key_is_encrypted_at_rest(connection):
    stored = PSAConnection.objects.values_list("private_key_encrypted", flat=True).get(pk=connection.pk)
    assert "sandbox-private" not in stored
    assert PSAConnection.objects.get(pk=connection.pk).get_private_key() == "sandbox-private"


def test_private_key_never_appears_in_repr_or_str(connection):
    assert "sandbox-private" not in repr(connection)
    assert "sandbox-private" not in str(connection)
    assert connection.private_key_encrypted not in repr(connection)


def test_private_key_never_appears_in_logs(connection, caplog):
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("psa").info("connection %r %s", connection, connection)
    assert "sandbox-private" not in caplog.text
